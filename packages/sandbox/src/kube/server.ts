/**
 * A Kubernetes API server subset over plain HTTP, faithful enough for the real kubectl and for
 * the Backstage Kubernetes plugin: discovery, list/get/watch with selectors and Table output,
 * create/replace/patch/delete with dry run and optimistic concurrency, pod logs.
 */
import http from 'http';
import https from 'https';
import { AddressInfo } from 'net';
import { timingSafeEqual } from 'crypto';
import YAML from 'yaml';
import { InMemoryKubeStore, WriteOptions } from './store';
import { ApiError, badRequest, methodNotAllowed, pathNotFound } from './errors';
import { ResourceInfo, apiVersionOf, findResource } from './resources';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
} from './discovery';
import {
  partialObjectMetadata,
  toTable,
  wantsMetadataOnly,
  wantsTable,
} from './table';
import { openApiV3Document, openApiV3Index } from './openapi';
import { decodeKubernetesProtobuf } from './protobuf';
import { PatchType, applyPatchOfType, patchTypeOf } from './patch';
import {
  SelectorError,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors';
import { KubeWriteRecord } from './types';

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

const MAX_BODY = 5 * 1024 * 1024;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const OPEN_PATHS = new Set([
  '/version',
  '/version/',
  '/healthz',
  '/livez',
  '/readyz',
]);

interface Target {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPrefix: boolean;
}

function send(res: http.ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: ApiError) {
  send(res, err.code, err.toStatus());
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(
          new ApiError(
            413,
            'RequestEntityTooLarge',
            'the request body is too large',
          ),
        );
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const ct = (contentType ?? '').toLowerCase();
  // kubectl's typed clients (create secret/configmap/namespace) send protobuf
  if (ct.includes('protobuf')) return decodeKubernetesProtobuf(raw);
  const text = raw.toString('utf8');
  if (!text.trim()) throw badRequest('the body of the request was empty');
  try {
    return ct.includes('yaml') ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the body of the request could not be decoded: ${(e as Error).message}`,
    );
  }
}

function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof SelectorError) return badRequest(e.message);
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: ${(e as Error)?.message ?? e}`,
  );
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = header?.match(/^Bearer\s+(.+)$/i);
  if (!m) return false;
  const a = Buffer.from(m[1].trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Strip the legacy `watch/` path prefix (`/api/v1/watch/namespaces/x/pods`). */
function stripWatchPrefix(segments: string[]): {
  rest: string[];
  watchPrefix: boolean;
} {
  return segments[0] === 'watch'
    ? { rest: segments.slice(1), watchPrefix: true }
    : { rest: segments, watchPrefix: false };
}

function resolveTarget(
  group: string,
  version: string,
  segments: string[],
): Target | undefined {
  const parsed = stripWatchPrefix(segments);
  const rest = parsed.rest;
  let namespace: string | undefined;
  let resourceName: string;
  let name: string | undefined;
  let subresource: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]) && !group)
  ) {
    namespace = rest[1];
    [resourceName, name, subresource] = rest.slice(2);
    if (rest.length > 5) return undefined;
  } else {
    [resourceName, name, subresource] = rest;
    if (rest.length > 3) return undefined;
  }
  if (!resourceName) return undefined;
  const info = findResource(group, version, resourceName);
  if (!info) return undefined;
  if (!info.namespaced && namespace) return undefined;
  if (
    subresource &&
    !(info.subresources ?? []).some(s => s.name === subresource)
  )
    return undefined;
  return {
    info,
    namespace,
    name,
    subresource,
    watchPrefix: parsed.watchPrefix,
  };
}

const numberParam = (q: URLSearchParams, key: string): number | undefined => {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`invalid value for ${key}: ${v}`);
  return n;
};

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
  const maxWatchSeconds = options.maxWatchSeconds ?? 1800;
  const streams = new Set<() => void>();
  let serverAddress = `${host}:${options.port}`;

  /** A write refused for its credentials is still recorded (no body: it was never read). */
  const recordUnauthorizedWrite = (
    req: http.IncomingMessage,
    url: URL,
    method: string,
  ) => {
    const parts = url.pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    const core = parts[0] === 'api';
    const t = core
      ? resolveTarget('', parts[1] ?? '', parts.slice(2))
      : resolveTarget(parts[1] ?? '', parts[2] ?? '', parts.slice(3));
    store.recordWrite({
      method: method as KubeWriteRecord['method'],
      path: url.pathname,
      resource: t?.info.name ?? '',
      ...(t?.namespace ? { namespace: t.namespace } : {}),
      ...(t?.name ? { name: t.name } : {}),
      ...(t?.subresource ? { subresource: t.subresource } : {}),
      dryRun: url.searchParams.getAll('dryRun').includes('All'),
      ...(method === 'PATCH' && req.headers['content-type']
        ? { contentType: String(req.headers['content-type']).split(';')[0] }
        : {}),
      body: null,
      ...(req.headers['user-agent']
        ? { userAgent: String(req.headers['user-agent']) }
        : {}),
      status: 401,
    });
  };

  const handleWatch = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    q: URLSearchParams,
    t: Target,
    selectors: { labelSelector: any; fieldSelector: any },
  ) => {
    const table = wantsTable(req.headers.accept);
    const rvParam = q.get('resourceVersion');
    const sinceRv = rvParam ? Number(rvParam) : undefined;
    if (rvParam && !Number.isFinite(sinceRv))
      throw badRequest(`invalid resource version: ${rvParam}`);
    let first = true;
    const write = (type: string, object: unknown) => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    let unsubscribe: (() => void) | undefined;
    const headers = () => {
      if (!res.headersSent) {
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
          'Cache-Control': 'no-cache, private',
        });
        res.flushHeaders();
      }
    };
    try {
      headers();
      unsubscribe = store.watch(
        t.info,
        t.namespace,
        selectors,
        sinceRv,
        (type, obj) => {
          if (table) {
            write(
              type,
              toTable(t.info, [obj], {
                includeObject: q.get('includeObject') ?? undefined,
                noHeaders: !first,
                resourceVersion: obj.metadata.resourceVersion,
              }),
            );
            first = false;
          } else write(type, obj);
        },
      );
    } catch (e) {
      if (e instanceof ApiError) {
        write('ERROR', e.toStatus());
        res.end();
        return undefined;
      }
      throw e;
    }
    const timeout = Math.min(
      numberParam(q, 'timeoutSeconds') ?? maxWatchSeconds,
      maxWatchSeconds,
    );
    const cleanups: Array<() => void> = [() => unsubscribe?.()];
    const stop = () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      streams.delete(stop);
      if (!res.writableEnded) res.end();
    };
    const timer = setTimeout(stop, timeout * 1000);
    cleanups.push(() => clearTimeout(timer));
    streams.add(stop);
    req.on('close', stop);
    res.on('close', stop);
    return undefined;
  };

  const handleLog = (
    res: http.ServerResponse,
    q: URLSearchParams,
    namespace: string,
    name: string,
  ) => {
    const sinceTimeParam = q.get('sinceTime');
    const sinceTime = sinceTimeParam ? new Date(sinceTimeParam) : undefined;
    if (sinceTime && Number.isNaN(sinceTime.getTime()))
      throw badRequest(`invalid sinceTime: ${sinceTimeParam}`);
    const query = {
      previous: q.get('previous') === 'true',
      sinceSeconds: numberParam(q, 'sinceSeconds'),
      sinceTime,
      tailLines: numberParam(q, 'tailLines'),
      timestamps: q.get('timestamps') === 'true',
      limitBytes: numberParam(q, 'limitBytes'),
    };
    if (query.sinceSeconds !== undefined && query.sinceSeconds < 1)
      throw badRequest('sinceSeconds must be greater than 0');
    const text = store.readLog(
      namespace,
      name,
      q.get('container') ?? undefined,
      query,
    );
    if (q.get('follow') !== 'true' || query.previous) {
      res.writeHead(200, {
        'Content-Type': 'text/plain',
        'Content-Length': Buffer.byteLength(text),
      });
      return res.end(text);
    }
    // follow: stream new lines until the pod goes or the server closes
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Transfer-Encoding': 'chunked',
    });
    res.write(text);
    const pod = store.get(findResource('', 'v1', 'pods')!, namespace, name);
    const container = store.logContainer(pod, q.get('container') ?? undefined)!;
    const unfollow = store.logs.follow(
      `${namespace}/${name}`,
      container,
      query,
      chunk => res.write(chunk),
    );
    const cleanups: Array<() => void> = [unfollow];
    const stop = () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      streams.delete(stop);
      if (!res.writableEnded) res.end();
    };
    const unwatch = store.objects.subscribe(e => {
      if (
        e.kind === 'Pod' &&
        e.type === 'DELETED' &&
        e.object.metadata.name === name &&
        e.object.metadata.namespace === namespace
      )
        stop();
    });
    cleanups.push(unwatch);
    streams.add(stop);
    res.on('close', stop);
    return undefined;
  };

  const handleGet = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    q: URLSearchParams,
    t: Target,
  ) => {
    const { info, namespace, name, subresource } = t;
    if (name && !t.watchPrefix) {
      if (subresource === 'log')
        return handleLog(res, q, namespace ?? 'default', name);
      if (subresource === 'scale')
        return send(
          res,
          200,
          store.scaleOf(info, namespace ?? 'default', name),
        );
      const obj = store.get(info, namespace, name);
      if (wantsTable(req.headers.accept)) {
        return send(
          res,
          200,
          toTable(info, [obj], {
            includeObject: q.get('includeObject') ?? undefined,
            resourceVersion: store.resourceVersion,
          }),
        );
      }
      if (wantsMetadataOnly(req.headers.accept))
        return send(res, 200, partialObjectMetadata(obj));
      return send(res, 200, obj);
    }
    if (name && t.watchPrefix && subresource)
      return sendError(res, pathNotFound());
    let labelSelector;
    let fieldSelector;
    try {
      labelSelector = parseLabelSelector(q.get('labelSelector'));
      fieldSelector = parseFieldSelector(q.get('fieldSelector'));
    } catch (e) {
      if (e instanceof SelectorError) throw badRequest(e.message);
      throw e;
    }
    if (name)
      fieldSelector.push({ path: 'metadata.name', value: name, negate: false });
    if (t.watchPrefix || q.get('watch') === 'true' || q.get('watch') === '1') {
      if (!info.verbs.includes('watch')) throw methodNotAllowed();
      return handleWatch(req, res, q, t, { labelSelector, fieldSelector });
    }
    const { items, resourceVersion } = store.list(info, namespace, {
      labelSelector,
      fieldSelector,
    });
    if (wantsTable(req.headers.accept)) {
      return send(
        res,
        200,
        toTable(info, items, {
          includeObject: q.get('includeObject') ?? undefined,
          resourceVersion,
        }),
      );
    }
    if (wantsMetadataOnly(req.headers.accept)) {
      return send(res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion },
        items: items.map(partialObjectMetadata),
      });
    }
    return send(res, 200, {
      kind: `${info.kind}List`,
      apiVersion: apiVersionOf(info),
      metadata: { resourceVersion },
      items,
    });
  };

  const safeExists = (
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
  ) => {
    try {
      store.get(info, namespace, name);
      return true;
    } catch {
      return false;
    }
  };

  const stripForApply = (body: any) => {
    const { apiVersion, kind, ...rest } = body ?? {};
    void apiVersion;
    void kind;
    return rest;
  };

  const writeScale = (
    info: ResourceInfo,
    namespace: string,
    name: string,
    method: string,
    contentType: string | undefined,
    body: any,
    opts: WriteOptions,
  ) => {
    const current = store.scaleOf(info, namespace, name);
    let next: any = body;
    if (method === 'PATCH') {
      const type: PatchType | undefined = patchTypeOf(contentType);
      if (!type)
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          'unsupported patch type',
        );
      // patch the Scale object, then carry its replicas over
      next = applyPatchOfType(type, current, body);
    }
    const replicas = next?.spec?.replicas;
    if (typeof replicas !== 'number' || replicas < 0) {
      throw new ApiError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(
          replicas,
        )}: must be greater than or equal to 0`,
      );
    }
    const rv = next?.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${info.name}.${info.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    store.patch(
      info,
      namespace,
      name,
      'merge',
      { spec: { replicas } },
      { dryRun: opts.dryRun },
    );
    const after = store.scaleOf(info, namespace, name);
    return opts.dryRun ? { ...after, spec: { replicas } } : after;
  };

  const handleWrite = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    method: KubeWriteRecord['method'],
    t: Target,
  ) => {
    const q = url.searchParams;
    const dryRunParam = q.getAll('dryRun');
    if (dryRunParam.some(v => v !== 'All')) {
      throw badRequest(`Invalid dry run value: ${dryRunParam.join(',')}`);
    }
    const dryRun = dryRunParam.includes('All');
    const contentType = req.headers['content-type'];
    const raw = await readBody(req);
    let body: unknown;
    const record = (status: number) => {
      store.recordWrite({
        method,
        path: url.pathname,
        resource: t.info.name,
        ...(t.namespace ? { namespace: t.namespace } : {}),
        ...(t.name ? { name: t.name } : {}),
        ...(t.subresource ? { subresource: t.subresource } : {}),
        dryRun,
        ...(method === 'PATCH'
          ? { contentType: contentType?.split(';')[0] }
          : {}),
        // an undecodable body is not recorded: it may hold a secret value
        body: body ?? null,
        ...(req.headers['user-agent']
          ? { userAgent: String(req.headers['user-agent']) }
          : {}),
        status,
      });
    };
    try {
      if (method !== 'DELETE' || raw.toString('utf8').trim())
        body = parseBody(
          raw,
          method === 'PATCH' && contentType?.includes('apply-patch+yaml')
            ? 'yaml'
            : contentType,
        );
      const opts: WriteOptions = { dryRun, subresource: t.subresource };
      const { info, namespace, name } = t;
      let code = 200;
      let result: unknown;
      const verb = {
        POST: 'create',
        PUT: 'update',
        PATCH: 'patch',
        DELETE: 'delete',
      }[method];
      if (!t.subresource && !info.verbs.includes(verb))
        throw methodNotAllowed();
      if (
        t.subresource === 'log' ||
        (t.subresource && method === 'POST') ||
        (t.subresource && method === 'DELETE')
      )
        throw methodNotAllowed();
      if (method === 'POST') {
        if (name) throw methodNotAllowed();
        result = store.create(info, namespace, body, opts);
        code = 201;
      } else if (!name) {
        if (method !== 'DELETE' || !info.verbs.includes('deletecollection'))
          throw methodNotAllowed();
        // deletecollection: every object matching the selectors goes
        const { items } = store.list(info, namespace, {
          labelSelector: parseLabelSelector(
            url.searchParams.get('labelSelector'),
          ),
          fieldSelector: parseFieldSelector(
            url.searchParams.get('fieldSelector'),
          ),
        });
        for (const o of items)
          store.delete(info, o.metadata.namespace, o.metadata.name, opts);
        result = {
          kind: `${info.kind}List`,
          apiVersion: apiVersionOf(info),
          metadata: { resourceVersion: store.resourceVersion },
          items,
        };
      } else if (t.subresource === 'scale') {
        result = writeScale(
          info,
          namespace ?? 'default',
          name,
          method,
          contentType,
          body,
          opts,
        );
      } else if (method === 'PUT') {
        const existed = safeExists(info, namespace, name);
        result = store.update(info, namespace, name, body, opts);
        code = existed ? 200 : 201;
      } else if (method === 'PATCH') {
        const type = patchTypeOf(contentType);
        if (contentType?.includes('apply-patch+yaml')) {
          // server-side apply, approximated: create when missing, else strategic merge
          if (!safeExists(info, namespace, name)) {
            result = store.create(info, namespace, body, opts);
            code = 201;
          } else
            result = store.patch(
              info,
              namespace,
              name,
              'strategic',
              stripForApply(body),
              opts,
            );
        } else {
          if (!type) {
            throw new ApiError(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
            );
          }
          result = store.patch(info, namespace, name, type, body, opts);
        }
      } else {
        const deleted = store.delete(info, namespace, name, opts);
        result =
          info.kind === 'Pod'
            ? deleted
            : {
                kind: 'Status',
                apiVersion: 'v1',
                metadata: {},
                status: 'Success',
                details: {
                  name,
                  group: info.group || undefined,
                  kind: info.name,
                  uid: deleted.metadata.uid,
                },
              };
      }
      record(code);
      send(res, code, result);
    } catch (e) {
      const err = toApiError(e);
      record(err.code);
      sendError(res, err);
    }
  };

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
      if (WRITE_METHODS.has(method)) recordUnauthorizedWrite(req, url, method);
      return sendError(res, new ApiError(401, 'Unauthorized', 'Unauthorized'));
    }

    // discovery
    if (method === 'GET') {
      if (path === '/api') return send(res, 200, apiVersions(serverAddress));
      if (path === '/apis') return send(res, 200, apiGroupList());
      if (path === '/api/v1') return send(res, 200, apiResourceList('', 'v1'));
      const g = path.match(/^\/apis\/([^/]+)$/);
      if (g) {
        const doc = apiGroup(g[1]);
        return doc ? send(res, 200, doc) : sendError(res, pathNotFound());
      }
      const gv = path.match(/^\/apis\/([^/]+)\/([^/]+)$/);
      if (gv) {
        const doc = apiResourceList(gv[1], gv[2]);
        return doc ? send(res, 200, doc) : sendError(res, pathNotFound());
      }
      if (path === '/openapi/v3') return send(res, 200, openApiV3Index());
      if (path.startsWith('/openapi/v3/')) {
        const doc = openApiV3Document(path.slice('/openapi/v3/'.length));
        return doc ? send(res, 200, doc) : sendError(res, pathNotFound());
      }
      if (path.startsWith('/openapi/')) return sendError(res, pathNotFound());
    }

    let group: string;
    let version: string;
    let segments: string[];
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'v1') {
      group = '';
      version = 'v1';
      segments = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1];
      version = parts[2];
      segments = parts.slice(3);
    } else return sendError(res, pathNotFound());

    const target = resolveTarget(group, version, segments);
    if (!target) return sendError(res, pathNotFound());

    if (method === 'GET') return handleGet(req, res, url.searchParams, target);
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
      return handleWrite(
        req,
        res,
        url,
        method as KubeWriteRecord['method'],
        target,
      );
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
        for (const stop of [...streams]) stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
