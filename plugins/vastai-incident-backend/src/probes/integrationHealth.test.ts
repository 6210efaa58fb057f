import {
  closedPort,
  LocalServer,
  sendJson,
  startLocalServer,
} from '../testing/localServer';
import { nodeHttpClient, SsrfGuard } from '../upstream';
import { parseHealthBody } from './healthShapes';
import { createIntegrationHealthProbe } from './integrationHealth';

describe('parseHealthBody', () => {
  it.each([
    [{ services: { vastai: { status: 'ok' } } }, 'healthy', true],
    [{ services: { vastai: { status: 'down' } } }, 'unhealthy', false],
    [{ status: 'healthy', services: { vastai: true } }, 'healthy', true],
    [{ status: 'degraded', services: { vastai: false } }, 'degraded', false],
    [
      { status: 'healthy', vastai: { connected: true, latencyMs: 120 } },
      'healthy',
      true,
    ],
    [
      { status: 'degraded', vastai: { connected: false, latencyMs: 5000 } },
      'degraded',
      false,
    ],
  ])('normalises %j', (body, status, connected) => {
    const value = parseHealthBody(body);
    expect(value.status).toBe(status);
    expect(value.vastaiConnected).toBe(connected);
  });

  it('refuses shapes it does not know', () => {
    expect(() => parseHealthBody({ hello: 'world' })).toThrow(
      /no recognisable status/,
    );
    expect(() => parseHealthBody([1, 2])).toThrow();
    expect(() => parseHealthBody({ status: 12 })).toThrow();
  });
});

describe('integration health probe', () => {
  let answer: (res: any) => void = res =>
    sendJson(res, 200, { status: 'healthy' });
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer((_req, res) => answer(res));
  });
  afterAll(() => server.close());

  const probe = (url = `${server.url}/health`, guard = new SsrfGuard()) =>
    createIntegrationHealthProbe({
      url,
      http: nodeHttpClient,
      guard,
      timeoutMs: 300,
      maxBytes: 10_000,
      retries: 0,
    })();

  it('reads a degraded service with fallback', async () => {
    answer = res =>
      sendJson(res, 200, {
        status: 'degraded',
        vastai: { connected: false },
        fallback: true,
      });
    const signal = await probe();
    expect(signal.state).toBe('degraded');
    expect(signal.value).toMatchObject({
      status: 'degraded',
      fallback: true,
      httpStatus: 200,
    });
  });

  it('reads a 503 with a body as the body says, at worst degraded', async () => {
    answer = res =>
      sendJson(res, 503, { status: 'unhealthy', services: { vastai: false } });
    expect((await probe()).state).toBe('failing');
  });

  it('is unknown on HTML, garbage or a hang', async () => {
    answer = res => res.end('<html>login</html>');
    expect((await probe()).state).toBe('unknown');
    answer = res => res.end('{"status": "heal');
    expect((await probe()).state).toBe('unknown');
    answer = () => undefined;
    const hung = await probe();
    expect(hung.state).toBe('unknown');
    expect(hung.reason).toMatch(/300 ms/);
  });

  it('reads a refused connection as a service that is down', async () => {
    const port = await closedPort();
    const signal = await probe(`http://127.0.0.1:${port}/health`);
    expect(signal.state).toBe('failing');
    expect(signal.value?.status).toBe('unhealthy');
  });

  it('reads connections reset before any answer (twice) as a service that is down', async () => {
    answer = res => res.socket.destroy();
    const signal = await createIntegrationHealthProbe({
      url: `${server.url}/health`,
      http: nodeHttpClient,
      guard: new SsrfGuard(),
      timeoutMs: 300,
      maxBytes: 10_000,
      retries: 1,
    })();
    expect(signal.state).toBe('failing');
    expect(signal.reason).toBe('connection reset before any answer');
  });

  it('refuses link-local and metadata URLs without calling them', async () => {
    const signal = await probe('http://169.254.169.254/latest/meta-data/');
    expect(signal.state).toBe('unknown');
    expect(signal.reason).toMatch(/link-local or metadata/);
  });
});
