/**
 * What the API server's handlers share: the store, the open streams, the request target parsed
 * from the URL, and JSON and Status responses.
 */
import http from 'http';
import { ApiError, badRequest } from '../errors';
import { ResourceInfo, apiVersionOf, findResource } from '../resources';
import { SelectorError } from '../selectors';
import type { InMemoryKubeStore } from '../store';
import { KubeObject } from '../types';

export interface HandlerContext {
  readonly store: InMemoryKubeStore;
  /** Longest a watch stays open. */
  readonly maxWatchSeconds: number;
  /** Stops of the open streams (watches, followed logs), all called when the server closes. */
  readonly streams: Set<() => void>;
}

/** The resource a request is about: `/api/v1/namespaces/<ns>/<resource>/<name>/<subresource>`. */
export interface Target {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `watch/` path prefix was used (`/api/v1/watch/namespaces/x/pods`). */
  watchPrefix: boolean;
}

export function send(res: http.ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, err: ApiError) {
  send(res, err.code, err.toStatus());
}

/** A list as the API answers it: `<Kind>List` with the store's resourceVersion. */
export const kindList = (
  info: ResourceInfo,
  items: KubeObject[],
  resourceVersion: string,
) => ({
  kind: `${info.kind}List`,
  apiVersion: apiVersionOf(info),
  metadata: { resourceVersion },
  items,
});

/** Any failure as the Status the API server answers (500 for what is not an API error). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof SelectorError) return badRequest(e.message);
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: ${(e as Error)?.message ?? e}`,
  );
}

export const numberParam = (
  q: URLSearchParams,
  key: string,
): number | undefined => {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`invalid value for ${key}: ${v}`);
  return n;
};

/** The target of an API path (`/api/v1/...` or `/apis/<group>/<version>/...`), if it names one. */
export function targetOf(pathname: string): Target | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'api' && parts[1] === 'v1')
    return resolveTarget('', 'v1', parts.slice(2));
  if (parts[0] === 'apis' && parts.length >= 3)
    return resolveTarget(parts[1], parts[2], parts.slice(3));
  return undefined;
}

function resolveTarget(
  group: string,
  version: string,
  segments: string[],
): Target | undefined {
  const watchPrefix = segments[0] === 'watch';
  const rest = watchPrefix ? segments.slice(1) : segments;
  let namespace: string | undefined;
  let resourceName: string;
  let name: string | undefined;
  let subresource: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    // `/api/v1/namespaces/<ns>/status` is the namespace's own subresource
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
  return { info, namespace, name, subresource, watchPrefix };
}

/**
 * A response that streams until the client goes, the server closes or `stop()` is called;
 * `onStop` cleanups run once.
 */
export function openStream(ctx: HandlerContext, res: http.ServerResponse) {
  const cleanups: Array<() => void> = [];
  const stop = () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    ctx.streams.delete(stop);
    if (!res.writableEnded) res.end();
  };
  ctx.streams.add(stop);
  res.on('close', stop);
  return { stop, onStop: (cleanup: () => void) => cleanups.push(cleanup) };
}
