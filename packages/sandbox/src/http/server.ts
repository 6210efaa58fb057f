import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => void | Promise<void>;

/** A started HTTP server that can be closed even while requests hang (open sockets are destroyed). */
export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export const LOOPBACK = '127.0.0.1';

export async function startHttpServer(
  handler: Handler,
  port: number,
  options: { onConnection?: (socket: Socket) => void } = {},
): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch(error => {
      // A bug in a simulated upstream must not take the whole sandbox down.
      if (!res.headersSent) {
        sendJson(res, 500, {
          error: 'sandbox_internal_error',
          message: String(error?.message ?? error),
        });
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    options.onConnection?.(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    server,
    port: actualPort,
    url: `http://${LOOPBACK}:${actualPort}`,
    close: () =>
      new Promise<void>(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: http.ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; `undefined` for an empty body, `InvalidJson` when it does not parse. */
export const InvalidJson = Symbol('InvalidJson');
export async function readJson(
  req: http.IncomingMessage,
): Promise<unknown | typeof InvalidJson> {
  const text = await readBody(req);
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return InvalidJson;
  }
}

export function pathOf(req: http.IncomingMessage): {
  path: string;
  query: URLSearchParams;
} {
  const url = new URL(req.url ?? '/', 'http://sandbox.local');
  return { path: url.pathname, query: url.searchParams };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** A simulated upstream: one handler on one loopback port, started and stopped with it. */
export abstract class SimulatedServer {
  private running?: RunningServer;

  protected abstract handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void | Promise<void>;

  async start(port: number): Promise<RunningServer> {
    this.running = await startHttpServer(
      (req, res) => this.handle(req, res),
      port,
    );
    return this.running;
  }

  async stop() {
    await this.running?.close();
  }
}
