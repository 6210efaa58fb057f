/*
 * An HTTP proxy on loopback that forwards to one upstream after a fixed delay (or never answers),
 * and counts the requests it forwarded. The benchmark puts one in front of every upstream.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

export interface DelayProxy {
  url: string;
  /** Requests received since the last reset. */
  count(): number;
  reset(): void;
  setDelay(ms: number): void;
  /** When true, requests are held open and never answered. */
  setHang(hang: boolean): void;
  close(): Promise<void>;
}

export async function startDelayProxy(
  target: string,
  delayMs: number,
): Promise<DelayProxy> {
  const upstream = new URL(target);
  let delay = delayMs;
  let hang = false;
  let count = 0;
  const held = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    count += 1;
    if (hang) {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const forward = http.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: upstream.host },
          },
          up => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        forward.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        forward.end(Buffer.concat(chunks));
      }, delay);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    reset: () => {
      count = 0;
    },
    setDelay: ms => {
      delay = ms;
    },
    setHang: h => {
      hang = h;
      if (!h) for (const res of held) res.destroy();
    },
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
