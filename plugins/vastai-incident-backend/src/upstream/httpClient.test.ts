import {
  closedPort,
  LocalServer,
  startLocalServer,
} from '../testing/localServer';
import { UpstreamError } from './errors';
import { nodeHttpClient } from './httpClient';
import { retryRead } from './retry';

describe('nodeHttpClient', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer((req, res) => {
      if (req.url === '/ok') {
        res.end('hello');
      } else if (req.url === '/hang') {
        // never answers
      } else if (req.url === '/slow-body') {
        res.writeHead(200);
        res.write('partial');
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/ok' });
        res.end();
      } else if (req.url === '/big-declared') {
        res.writeHead(200, { 'content-length': String(10_000) });
        res.end('x'.repeat(10_000));
      } else if (req.url === '/big-chunked') {
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
        res.end();
      } else {
        res.writeHead(404);
        res.end('nope');
      }
    });
  });
  afterAll(() => server.close());

  const get = (
    path: string,
    extra: Partial<Parameters<typeof nodeHttpClient>[0]> = {},
  ) =>
    nodeHttpClient({
      url: `${server.url}${path}`,
      timeoutMs: 300,
      maxBytes: 5000,
      ...extra,
    });

  it('reads a normal answer', async () => {
    const response = await get('/ok');
    expect(response.status).toBe(200);
    expect(response.body).toBe('hello');
    expect(response.truncated).toBe(false);
  });

  it('gives up at the deadline when the server never answers', async () => {
    const started = Date.now();
    await expect(get('/hang')).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('gives up at the deadline when the body never ends', async () => {
    await expect(get('/slow-body')).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('does not follow redirects', async () => {
    const before = server.requests.filter(r => r.url === '/ok').length;
    await expect(get('/redirect')).rejects.toMatchObject({ kind: 'redirect' });
    expect(server.requests.filter(r => r.url === '/ok').length).toBe(before);
  });

  it('refuses bodies over the cap, declared or streamed', async () => {
    await expect(get('/big-declared')).rejects.toMatchObject({
      kind: 'too-large',
    });
    await expect(get('/big-chunked')).rejects.toMatchObject({
      kind: 'too-large',
    });
  });

  it('can cut bodies at the cap instead', async () => {
    const response = await get('/big-chunked', { onOverflow: 'truncate' });
    expect(response.truncated).toBe(true);
    expect(response.body.length).toBe(5000);
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    await expect(
      nodeHttpClient({
        url: `http://127.0.0.1:${port}/`,
        timeoutMs: 500,
        maxBytes: 100,
      }),
    ).rejects.toMatchObject({ kind: 'refused' });
  });

  it('refuses non-http schemes', async () => {
    await expect(
      nodeHttpClient({
        url: 'file:///etc/passwd',
        timeoutMs: 500,
        maxBytes: 100,
      }),
    ).rejects.toBeInstanceOf(UpstreamError);
  });
});

describe('retryRead', () => {
  it('retries transient failures a bounded number of times', async () => {
    let calls = 0;
    await expect(
      retryRead(
        async () => {
          calls++;
          throw new UpstreamError('network', 'boom');
        },
        { retries: 2, baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ kind: 'network' });
    expect(calls).toBe(3);
  });

  it('does not retry what is not transient', async () => {
    let calls = 0;
    await expect(
      retryRead(
        async () => {
          calls++;
          throw new UpstreamError('redirect', 'no');
        },
        { retries: 3, baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ kind: 'redirect' });
    expect(calls).toBe(1);
  });

  it('stops at the deadline', async () => {
    let calls = 0;
    await expect(
      retryRead(
        async () => {
          calls++;
          throw new UpstreamError('timeout', 'slow');
        },
        {
          retries: 10,
          baseDelayMs: 1000,
          factor: 1,
          deadlineAt: Date.now() + 50,
        },
      ),
    ).rejects.toBeDefined();
    expect(calls).toBeLessThan(3);
  });
});
