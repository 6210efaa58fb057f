import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { UpstreamError } from './errors';

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Deadline for the whole exchange: connect, headers and body. */
  timeoutMs: number;
  /** Response bodies larger than this are refused (or cut, with `onOverflow: 'truncate'`). */
  maxBytes: number;
  onOverflow?: 'error' | 'truncate';
  /** TLS settings (CA, client certs, skipTLSVerify) for https. */
  agent?: http.Agent;
  /** A DNS lookup that refuses forbidden addresses (SSRF guard). */
  lookup?: LookupFunction;
  /** Refuses a connected peer (SSRF guard for literal addresses, which skip `lookup`). */
  peerAllowed?: (remoteAddress: string | undefined) => boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** True when the body was cut at `maxBytes`. */
  truncated: boolean;
}

/** The only way this plugin talks HTTP to upstreams: small so tests can swap it. */
export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

const DEFAULT_USER_AGENT = 'backstage-vastai-incident';

/**
 * HTTP over Node's own client: a hard deadline, a size cap, and redirects never followed
 * (a 3xx is an error: an upstream we configured should not send us elsewhere, and a redirect could lead an SSRF-guarded call to a forbidden host).
 */
export const nodeHttpClient: HttpClient = request =>
  new Promise<HttpResponse>((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      reject(
        new UpstreamError('network', 'invalid upstream URL in configuration'),
      );
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(
        new UpstreamError('blocked', `unsupported URL scheme ${url.protocol}`),
      );
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    let settled = false;
    // Filled in below; `finish` clears it whichever way the call ends.
    const deadline: { timer?: NodeJS.Timeout } = {};
    let onAbort = () => {};
    const finish = (error?: Error, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline.timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(response!);
    };

    const req = transport.request(
      url,
      {
        method: request.method ?? 'GET',
        headers: {
          'user-agent': DEFAULT_USER_AGENT,
          ...request.headers,
        },
        agent: request.agent,
        lookup: request.lookup,
      },
      res => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          req.destroy();
          finish(
            new UpstreamError(
              'redirect',
              `upstream answered ${status} (redirect); redirects are not followed`,
            ),
          );
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (
          (request.onOverflow ?? 'error') === 'error' &&
          Number.isFinite(declared) &&
          declared > request.maxBytes
        ) {
          req.destroy();
          finish(
            new UpstreamError(
              'too-large',
              `upstream answer too large (${declared} bytes, limit ${request.maxBytes})`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (settled || truncated) return;
          const room = request.maxBytes - received;
          if (chunk.length > room) {
            if ((request.onOverflow ?? 'error') === 'error') {
              req.destroy();
              finish(
                new UpstreamError(
                  'too-large',
                  `upstream answer too large (over ${request.maxBytes} bytes)`,
                ),
              );
              return;
            }
            chunks.push(chunk.subarray(0, room));
            received += room;
            truncated = true;
            finish(undefined, {
              status,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              truncated,
            });
            res.destroy();
            return;
          }
          chunks.push(chunk);
          received += chunk.length;
        });
        res.on('end', () =>
          finish(undefined, {
            status,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
          }),
        );
        res.on('error', error => finish(toUpstreamError(error)));
        res.on('aborted', () =>
          finish(
            new UpstreamError(
              'network',
              'upstream closed the connection mid-answer',
            ),
          ),
        );
      },
    );

    deadline.timer = setTimeout(() => {
      const error = new UpstreamError(
        'timeout',
        `no complete answer within ${request.timeoutMs} ms`,
      );
      finish(error);
      req.destroy(error);
    }, request.timeoutMs);
    onAbort = () => {
      const error = new UpstreamError('aborted', 'call abandoned');
      finish(error);
      req.destroy(error);
    };
    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener('abort', onAbort);

    req.on('error', error => finish(toUpstreamError(error)));
    const peerAllowed = request.peerAllowed;
    if (peerAllowed) {
      req.on('socket', socket => {
        const check = () => {
          if (peerAllowed(socket.remoteAddress)) return;
          const error = new UpstreamError(
            'blocked',
            'refused: the upstream address is link-local or metadata',
          );
          finish(error);
          req.destroy(error);
        };
        if (socket.connecting) socket.once('connect', check);
        else check();
      });
    }
    if (request.body !== undefined) {
      req.write(request.body);
    }
    req.end();
  });

function toUpstreamError(error: Error): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') {
    return new UpstreamError('refused', 'connection refused');
  }
  if (code === 'ECONNRESET') {
    // Reaching here means before any response header: the server accepted and dropped us.
    return new UpstreamError('reset', 'connection reset before any answer');
  }
  if (code === 'ESSRFBLOCKED') {
    return new UpstreamError('blocked', error.message);
  }
  if (code === 'ETIMEDOUT') {
    return new UpstreamError('timeout', 'connection timed out');
  }
  return new UpstreamError('network', `network error (${code ?? 'unknown'})`);
}
