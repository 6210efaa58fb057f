/**
 * A Kubernetes API server subset over HTTP(S), faithful enough for the real kubectl and for
 * the Backstage Kubernetes plugin: discovery, list/get/watch with selectors and Table output,
 * create/replace/patch/delete with dry run and optimistic concurrency, pod logs. This file
 * authenticates and routes; `handlers/` answer reads, writes, watches and logs.
 */
import http from 'http';
import https from 'https';
import { AddressInfo } from 'net';
import { timingSafeEqual } from 'crypto';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
} from './discovery';
import { ApiError, methodNotAllowed, pathNotFound } from './errors';
import {
  HandlerContext,
  send,
  sendError,
  targetOf,
  toApiError,
} from './handlers/context';
import { handleRead } from './handlers/read';
import {
  WriteMethod,
  handleWrite,
  recordUnauthorizedWrite,
} from './handlers/write';
import { openApiV3Document, openApiV3Index } from './openapi';
import { InMemoryKubeStore } from './store';

export interface KubeApiServerOptions {
  port: number;
  host?: string;
  /** Bearer token required on API paths (not /version, /healthz). Default 'sandbox-token'; null disables auth. */
  token?: string | null;
  /** Longest a watch stays open unless the client asks for less. Default 30 min. */
  maxWatchSeconds?: number;
  /**
   * Serve HTTPS: `true` for a fresh self-signed certificate (localhost, 127.0.0.1), or a key and
   * certificate. kubectl sends bearer tokens only over TLS (client-go drops a kubeconfig's
   * credentials for plain-HTTP servers), so use TLS whenever kubectl must authenticate.
   */
  tls?: boolean | { key: string; cert: string };
}

export interface KubeApiServer {
  server: http.Server;
  port: number;
  host: string;
  url: string;
  /** PEM of the server certificate when serving TLS (for a kubeconfig's certificate-authority-data). */
  caCert?: string;
  close(): Promise<void>;
}

const WRITE_METHODS = new Set<string>(['POST', 'PUT', 'PATCH', 'DELETE']);
const OPEN_PATHS = new Set([
  '/version',
  '/version/',
  '/healthz',
  '/livez',
  '/readyz',
]);

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = header?.match(/^Bearer\s+(.+)$/i);
  if (!m) return false;
  const a = Buffer.from(m[1].trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Discovery and OpenAPI documents; false when the path is not one of them. */
function answerDiscovery(
  res: http.ServerResponse,
  path: string,
  serverAddress: string,
): boolean {
  const answer = (doc: unknown) =>
    doc ? send(res, 200, doc) : sendError(res, pathNotFound());
  const g = path.match(/^\/apis\/([^/]+)$/);
  const gv = path.match(/^\/apis\/([^/]+)\/([^/]+)$/);
  if (path === '/api') answer(apiVersions(serverAddress));
  else if (path === '/apis') answer(apiGroupList());
  else if (path === '/api/v1') answer(apiResourceList('', 'v1'));
  else if (g) answer(apiGroup(g[1]));
  else if (gv) answer(apiResourceList(gv[1], gv[2]));
  else if (path === '/openapi/v3') answer(openApiV3Index());
  else if (path.startsWith('/openapi/v3/'))
    answer(openApiV3Document(path.slice('/openapi/v3/'.length)));
  else if (path.startsWith('/openapi/')) answer(undefined);
  else return false;
  return true;
}

/** A throwaway self-signed certificate for localhost and 127.0.0.1. */
export function selfSignedCertificate(): { key: string; cert: string } {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const selfsigned = require('selfsigned') as typeof import('selfsigned');
  const pems = selfsigned.generate(
    [{ name: 'commonName', value: 'sandbox-kube-apiserver' }],
    {
      days: 365,
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        {
          name: 'keyUsage',
          keyCertSign: true,
          digitalSignature: true,
          keyEncipherment: true,
        },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    },
  );
  return { key: pems.private, cert: pems.cert };
}

export async function createKubeApiServer(
  store: InMemoryKubeStore,
  options: KubeApiServerOptions,
): Promise<KubeApiServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token === undefined ? 'sandbox-token' : options.token;
  const ctx: HandlerContext = {
    store,
    maxWatchSeconds: options.maxWatchSeconds ?? 1800,
    streams: new Set(),
  };
  let serverAddress = `${host}:${options.port}`;

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();

    if (OPEN_PATHS.has(path)) {
      if (path.startsWith('/version')) return send(res, 200, versionInfo());
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end('ok');
    }
    if (token && !tokenMatches(req.headers.authorization, token)) {
      if (WRITE_METHODS.has(method)) {
        const t = targetOf(url.pathname);
        recordUnauthorizedWrite(ctx, req, url, method as WriteMethod, t);
      }
      return sendError(res, new ApiError(401, 'Unauthorized', 'Unauthorized'));
    }
    if (method === 'GET' && answerDiscovery(res, path, serverAddress))
      return undefined;

    const target = targetOf(path);
    if (!target) return sendError(res, pathNotFound());
    if (method === 'GET')
      return handleRead(ctx, req, res, url.searchParams, target);
    if (WRITE_METHODS.has(method))
      return handleWrite(ctx, req, res, url, method as WriteMethod, target);
    return sendError(res, methodNotAllowed());
  };

  const tls =
    options.tls === true ? selfSignedCertificate() : options.tls || undefined;
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch(e => {
      const err = toApiError(e);
      if (!res.headersSent) sendError(res, err);
      else res.end();
    });
  };
  const server: http.Server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, listener)
    : http.createServer(listener);
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${host}:${port}`;

  return {
    server,
    port,
    host,
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    ...(tls ? { caCert: tls.cert } : {}),
    close: () =>
      new Promise<void>(resolve => {
        for (const stop of [...ctx.streams]) stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
