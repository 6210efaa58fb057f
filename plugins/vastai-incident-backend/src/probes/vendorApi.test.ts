import {
  closedPort,
  LocalServer,
  sendJson,
  startLocalServer,
} from '../testing/localServer';
import { nodeHttpClient } from '../upstream';
import { probe as probeFixture } from '../testing/testSignals';
import { createVendorApiProbe, isEdgeRefusal } from './vendorApi';

const KEY = 'operator-key-canary-7f3a9c';

describe('vendor API probe', () => {
  let mode = 'ok';
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer((req, res) => {
      if (req.url !== '/api/v0/users/current/') {
        res.writeHead(404);
        res.end();
        return;
      }
      const auth = req.headers.authorization;
      switch (mode) {
        case 'ok':
          if (auth !== `Bearer ${KEY}`) {
            sendJson(res, 401, { msg: 'Invalid user key' });
            return;
          }
          sendJson(res, 200, {
            id: 1,
            username: 'ops',
            api_key: KEY,
            msg: `your key ${KEY}`,
          });
          return;
        case '401':
          sendJson(res, 401, {
            success: false,
            error: 'invalid_user_key',
            msg: 'Invalid user key',
          });
          return;
        case '404-invalid':
          sendJson(res, 404, { detail: 'Invalid user key' });
          return;
        case '404-error-code':
          sendJson(res, 404, { success: false, error: 'invalid_user_key' });
          return;
        case '400-invalid':
          sendJson(res, 400, { msg: 'Invalid API key' });
          return;
        case '403-key':
          sendJson(res, 403, { success: false, msg: 'Invalid user key' });
          return;
        case '403-edge':
          res.writeHead(403, {
            'content-type': 'text/html',
            server: 'cloudflare',
            'cf-ray': '8a1b2c3d4e5f-AMS',
          });
          res.end(
            '<!DOCTYPE html><html><head><title>Access denied | console.vast.ai used Cloudflare to restrict access</title></head><body>Error code: 1020</body></html>',
          );
          return;
        case '403-edge-text':
          res.writeHead(403, { 'content-type': 'text/plain' });
          res.end('error code: 1006');
          return;
        case 'slow':
          setTimeout(() => sendJson(res, 200, { id: 1 }), 150);
          return;
        case '429':
          res.writeHead(429, { 'content-type': 'text/plain' });
          res.end('API requests too frequent endpoint threshold=2');
          return;
        case '503':
          sendJson(res, 503, { message: 'Service Unavailable' });
          return;
        case 'echo-key':
          sendJson(res, 500, { error: `failed for key ${KEY}` });
          return;
        case 'hang':
          return;
        default:
          throw new Error(mode);
      }
    });
  });
  afterAll(() => server.close());

  const make = (minIntervalMs = 0, baseUrl = `${server.url}/api/v0`) =>
    createVendorApiProbe({
      baseUrl,
      operatorApiKey: KEY,
      http: nodeHttpClient,
      timeoutMs: 300,
      maxBytes: 10_000,
      minIntervalMs,
    });

  it('classifies 2xx as ok and drops the api_key from the answer', async () => {
    mode = 'ok';
    const signal = await make()();
    expect(signal.state).toBe('ok');
    expect(signal.value?.outcome).toBe('ok');
    expect(JSON.stringify(signal)).not.toContain(KEY);
    expect(server.requests.at(-1)?.url).not.toContain('api_key');
  });

  it.each([
    ['401', 'auth-failure', 'failing'],
    ['404-invalid', 'auth-failure', 'failing'],
    ['404-error-code', 'auth-failure', 'failing'],
    ['400-invalid', 'auth-failure', 'failing'],
    ['403-key', 'auth-failure', 'failing'],
    ['403-edge', 'edge-blocked', 'failing'],
    ['403-edge-text', 'edge-blocked', 'failing'],
    ['429', 'rate-limited', 'degraded'],
    ['503', 'vendor-error', 'failing'],
  ])('classifies %s', async (m, outcome, state) => {
    mode = m;
    const signal = await make()();
    expect(signal.value?.outcome).toBe(outcome);
    expect(signal.state).toBe(state);
  });

  it('keeps the key out of echoed error messages', async () => {
    mode = 'echo-key';
    const signal = await make()();
    expect(signal.value?.outcome).toBe('vendor-error');
    expect(JSON.stringify(signal)).not.toContain(KEY);
  });

  it('reports a refused or hanging vendor as evidence: failing, unreachable or timeout', async () => {
    const port = await closedPort();
    const refused = await make(0, `http://127.0.0.1:${port}/api/v0`)();
    expect(refused).toMatchObject({
      state: 'failing',
      value: { outcome: 'unreachable', message: 'connection refused' },
      summary: 'Vast.ai API unreachable: connection refused',
    });
    expect(refused.reason).toBeUndefined();
    mode = 'hang';
    const hung = await make()();
    expect(hung).toMatchObject({
      state: 'failing',
      value: {
        outcome: 'timeout',
        message: 'no complete answer within 300 ms',
      },
      summary: 'Vast.ai API did not answer within 300 ms',
    });
  });

  it('emits what the triage fixtures say it emits for no answer', async () => {
    const port = await closedPort();
    const real = await make(0, `http://127.0.0.1:${port}/api/v0`)();
    const fixture = probeFixture('unreachable');
    const shape = (s: typeof real) => ({
      source: s.source,
      state: s.state,
      keys: Object.keys(s).sort(),
      valueKeys: Object.keys(s.value ?? {}).sort(),
      outcome: s.value?.outcome,
    });
    expect(shape(real)).toEqual(shape(fixture));
    mode = 'hang';
    expect(shape(await make()())).toEqual(shape(probeFixture('timeout')));
  });

  it('keeps a baseline of its own latency and reports it with every reading', async () => {
    mode = 'ok';
    const probe = make(0);
    const first = await probe();
    expect(first.value?.baselineLatencyMs).toBeUndefined();
    for (let i = 0; i < 4; i++) await probe();
    mode = 'slow';
    const slow = await probe();
    expect(slow.latencyMs).toBeGreaterThanOrEqual(150);
    expect(slow.value?.baselineLatencyMs).toBeLessThan(100);
    const port = await closedPort();
    const down = await make(0, `http://127.0.0.1:${port}/api/v0`)();
    expect(down.value?.baselineLatencyMs).toBeUndefined();
  });

  it('makes at most one call per interval, whoever asks', async () => {
    mode = 'ok';
    const probe = make(60_000);
    const before = server.requests.length;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => probe()),
    );
    await probe();
    expect(server.requests.length - before).toBe(1);
    expect(results.every(r => r.state === 'ok')).toBe(true);
  });

  it('backs off after a 429', async () => {
    mode = '429';
    let now = 0;
    const probe = createVendorApiProbe({
      baseUrl: `${server.url}/api/v0`,
      operatorApiKey: KEY,
      http: nodeHttpClient,
      timeoutMs: 300,
      maxBytes: 10_000,
      minIntervalMs: 1000,
      now: () => now,
    });
    const before = server.requests.length;
    await probe();
    now = 1500; // past the base interval, inside the doubled one
    await probe();
    expect(server.requests.length - before).toBe(1);
    now = 2500;
    await probe();
    expect(server.requests.length - before).toBe(2);
  });
});

describe('isEdgeRefusal', () => {
  it('tells a 403 about the key from a 403 of the edge', () => {
    expect(isEdgeRefusal(403, '{"msg": "Invalid user key"}')).toBe(false);
    expect(isEdgeRefusal(403, '{"detail": "Not allowed for this key"}')).toBe(
      false,
    );
    expect(isEdgeRefusal(403, '<html>Forbidden</html>')).toBe(true);
    expect(isEdgeRefusal(403, '', { 'cf-ray': 'abc' })).toBe(true);
    expect(isEdgeRefusal(401, '<html>Forbidden</html>')).toBe(false);
  });
});
