import {
  LocalServer,
  sendJson,
  startLocalServer,
} from '../testing/localServer';
import { statusNotConfigured } from '../testing/testSignals';
import { nodeHttpClient } from '../upstream';
import { createVendorStatusProbe } from './vendorStatus';

const OUTAGE = {
  page: { id: 'x', name: 'Vast.ai' },
  status: { indicator: 'major', description: 'Partial System Outage' },
  components: [{ name: 'API', status: 'major_outage' }],
  incidents: [
    {
      name: 'API errors',
      status: 'investigating',
      impact: 'major',
      updated_at: '2026-11-28T22:00:00Z',
    },
  ],
  scheduled_maintenances: [],
};
const OPERATIONAL = {
  status: { indicator: 'none', description: 'All Systems Operational' },
  components: [{ name: 'API', status: 'operational' }],
  incidents: [],
};

describe('vendor status probe', () => {
  let mode = 'outage';
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer((req, res) => {
      if (req.url !== '/api/v2/summary.json') {
        res.writeHead(404);
        res.end();
        return;
      }
      switch (mode) {
        case 'outage':
          sendJson(res, 200, OUTAGE);
          return;
        case 'operational':
          sendJson(res, 200, OPERATIONAL);
          return;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(
            '<!doctype html><html><body><div id="root"></div></body></html>',
          );
          return;
        case 'garbage':
          res.end('\u0000\u0001 not json at all');
          return;
        case 'truncated':
          res.end(JSON.stringify(OUTAGE).slice(0, 60));
          return;
        case 'wrong-types':
          sendJson(res, 200, { status: { indicator: 42 }, components: 'nope' });
          return;
        case 'huge':
          res.writeHead(200);
          res.write('{"status":{"indicator":"none"},"pad":"');
          for (let i = 0; i < 200; i++) res.write('z'.repeat(10_000));
          res.end('"}');
          return;
        case 'hang':
          return;
        case 'redirect':
          res.writeHead(301, { location: 'http://169.254.169.254/' });
          res.end();
          return;
        case 'error':
          res.writeHead(503);
          res.end('upstream down');
          return;
        default:
          throw new Error(mode);
      }
    });
  });
  afterAll(() => server.close());

  const probe = () =>
    createVendorStatusProbe({
      type: 'statuspage',
      url: server.url,
      http: nodeHttpClient,
      timeoutMs: 300,
      maxBytes: 64 * 1024,
      retries: 0,
    })();

  it('reads an outage', async () => {
    mode = 'outage';
    const signal = await probe();
    expect(signal.state).toBe('failing');
    expect(signal.value?.indicator).toBe('major');
    expect(signal.value?.incidents[0]).toMatchObject({
      name: 'API errors',
      status: 'investigating',
    });
    expect(signal.summary).toContain('API errors');
    expect(signal.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(signal.observedAt)).not.toBeNaN();
  });

  it('reads all-operational as ok', async () => {
    mode = 'operational';
    expect((await probe()).state).toBe('ok');
  });

  it.each([
    ['html', /HTML/],
    ['garbage', /not valid JSON/],
    ['truncated', /not valid JSON/],
    ['wrong-types', /indicator/],
    ['huge', /too large/],
    ['hang', /within 300 ms/],
    ['redirect', /redirect/],
    ['error', /HTTP 503/],
  ])('is unknown, never operational nor outage, on %s', async (m, reason) => {
    mode = m;
    const signal = await probe();
    expect(signal.state).toBe('unknown');
    expect(signal.reason).toMatch(reason);
    expect(signal.value).toBeUndefined();
  });

  it('is unknown, and marked not configured, when the source is none', async () => {
    const signal = await createVendorStatusProbe({
      type: 'none',
      http: nodeHttpClient,
      timeoutMs: 100,
      maxBytes: 100,
    })();
    expect(signal.state).toBe('unknown');
    expect(signal.reason).toMatch(/no vendor status source/);
    expect(signal.notConfigured).toBe(true);
    // The triage fixture is what the probe emits, apart from the time it was taken.
    const timeless = (s: typeof signal) => ({
      ...s,
      observedAt: undefined,
      latencyMs: undefined,
    });
    expect(timeless(signal)).toEqual(timeless(statusNotConfigured()));
  });

  it('accepts other formats through a parser', async () => {
    mode = 'operational';
    const signal = await createVendorStatusProbe({
      type: 'custom',
      url: `${server.url}/api/v2/summary.json`,
      http: nodeHttpClient,
      timeoutMs: 300,
      maxBytes: 10_000,
      parsers: {
        custom: {
          type: 'custom',
          resolveUrl: url => url,
          parse: () => ({
            indicator: 'minor',
            description: 'custom',
            incidents: [],
            components: [],
          }),
        },
      },
    })();
    expect(signal.state).toBe('degraded');
    expect(signal.value?.description).toBe('custom');
  });
});
