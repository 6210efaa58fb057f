/**
 * POST, PUT, PATCH and DELETE: create, replace (or create), patch (strategic merge, merge, JSON
 * patch, server-side apply approximated), delete and deletecollection, the `scale` and `status`
 * subresources, `?dryRun=All`. Every write is recorded with the status it got, a refused one
 * included; a body that could not be decoded is recorded as null, since it may hold a secret.
 */
import http from 'http';
import YAML from 'yaml';
import { ApiError, badRequest, conflict, methodNotAllowed } from '../errors';
import { WriteOptions } from '../objectStore';
import { PatchType, applyPatchOfType, patchTypeOf } from '../patch';
import { decodeKubernetesProtobuf } from '../protobuf';
import { ResourceInfo } from '../resources';
import { parseFieldSelector, parseLabelSelector } from '../selectors';
import { KubeWriteRecord } from '../types';
import {
  HandlerContext,
  Target,
  kindList,
  send,
  sendError,
  toApiError,
} from './context';

export type WriteMethod = KubeWriteRecord['method'];

const MAX_BODY = 5 * 1024 * 1024;

const VERB_OF: Record<WriteMethod, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

const APPLY_PATCH = 'apply-patch+yaml';

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

/** The write record of a request, short of its body and status. */
function writeRecord(
  req: http.IncomingMessage,
  url: URL,
  method: WriteMethod,
  t: Target | undefined,
): Omit<KubeWriteRecord, 'at' | 'body' | 'status'> {
  const contentType = req.headers['content-type'];
  return {
    method,
    path: url.pathname,
    resource: t?.info.name ?? '',
    ...(t?.namespace ? { namespace: t.namespace } : {}),
    ...(t?.name ? { name: t.name } : {}),
    ...(t?.subresource ? { subresource: t.subresource } : {}),
    dryRun: url.searchParams.getAll('dryRun').includes('All'),
    ...(method === 'PATCH' && contentType
      ? { contentType: String(contentType).split(';')[0] }
      : {}),
    ...(req.headers['user-agent']
      ? { userAgent: String(req.headers['user-agent']) }
      : {}),
  };
}

/** A write refused for its credentials is still recorded (no body: it was never read). */
export function recordUnauthorizedWrite(
  ctx: HandlerContext,
  req: http.IncomingMessage,
  url: URL,
  method: WriteMethod,
  t: Target | undefined,
) {
  ctx.store.recordWrite({
    ...writeRecord(req, url, method, t),
    body: null,
    status: 401,
  });
}

export async function handleWrite(
  ctx: HandlerContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  method: WriteMethod,
  t: Target,
) {
  const dryRunParam = url.searchParams.getAll('dryRun');
  if (dryRunParam.some(v => v !== 'All')) {
    throw badRequest(`Invalid dry run value: ${dryRunParam.join(',')}`);
  }
  const raw = await readBody(req);
  let body: unknown;
  const record = (status: number) =>
    ctx.store.recordWrite({
      ...writeRecord(req, url, method, t),
      body: body ?? null,
      status,
    });
  try {
    const contentType = req.headers['content-type'];
    if (method !== 'DELETE' || raw.toString('utf8').trim())
      body = parseBody(
        raw,
        method === 'PATCH' && contentType?.includes(APPLY_PATCH)
          ? 'yaml'
          : contentType,
      );
    const attempt = {
      resource: t.info.name,
      namespace: t.namespace,
      name: t.name,
      dryRun: dryRunParam.includes('All'),
    };
    // Test knobs (control API): a held write waits here; a faulted one is answered, not applied.
    if (!(await ctx.store.gates.pass(attempt, req))) {
      record(499);
      return;
    }
    const fault = ctx.store.gates.takeFault(attempt);
    if (fault) {
      throw fault === 409
        ? conflict(t.info, t.name ?? '')
        : new ApiError(
            500,
            'InternalError',
            'Internal error occurred: injected fault',
          );
    }
    const { code, result } = write(ctx, url, method, t, contentType, body, {
      dryRun: dryRunParam.includes('All'),
      subresource: t.subresource,
    });
    record(code);
    send(res, code, result);
  } catch (e) {
    const err = toApiError(e);
    record(err.code);
    sendError(res, err);
  }
}

function write(
  ctx: HandlerContext,
  url: URL,
  method: WriteMethod,
  t: Target,
  contentType: string | undefined,
  body: any,
  opts: WriteOptions,
): { code: number; result: unknown } {
  const { store } = ctx;
  const { info, namespace, name, subresource } = t;
  if (!subresource && !info.verbs.includes(VERB_OF[method]))
    throw methodNotAllowed();
  if (
    subresource === 'log' ||
    (subresource && (method === 'POST' || method === 'DELETE'))
  )
    throw methodNotAllowed();
  if (method === 'POST') {
    if (name) throw methodNotAllowed();
    return { code: 201, result: store.create(info, namespace, body, opts) };
  }
  if (!name) {
    if (method !== 'DELETE' || !info.verbs.includes('deletecollection'))
      throw methodNotAllowed();
    // deletecollection: every object matching the selectors goes
    const { items } = store.list(info, namespace, {
      labelSelector: parseLabelSelector(url.searchParams.get('labelSelector')),
      fieldSelector: parseFieldSelector(url.searchParams.get('fieldSelector')),
    });
    for (const o of items)
      store.delete(info, o.metadata.namespace, o.metadata.name, opts);
    return {
      code: 200,
      result: kindList(info, items, store.resourceVersion),
    };
  }
  if (subresource === 'scale') {
    return {
      code: 200,
      result: writeScale(
        ctx,
        info,
        namespace ?? 'default',
        name,
        method,
        contentType,
        body,
        opts,
      ),
    };
  }
  if (method === 'PUT') {
    const existed = exists(ctx, info, namespace, name);
    const result = store.update(info, namespace, name, body, opts);
    return { code: existed ? 200 : 201, result };
  }
  if (method === 'PATCH') {
    if (contentType?.includes(APPLY_PATCH)) {
      // server-side apply, approximated: create when missing, else strategic merge
      if (!exists(ctx, info, namespace, name))
        return { code: 201, result: store.create(info, namespace, body, opts) };
      const { apiVersion, kind, ...fields } = body ?? {};
      void apiVersion;
      void kind;
      return {
        code: 200,
        result: store.patch(info, namespace, name, 'strategic', fields, opts),
      };
    }
    const type = patchTypeOf(contentType);
    if (!type) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
    }
    return {
      code: 200,
      result: store.patch(info, namespace, name, type, body, opts),
    };
  }
  const deleted = store.delete(info, namespace, name, opts);
  // a deleted pod is answered as it is now (Terminating); other kinds with a Status
  const result =
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
  return { code: 200, result };
}

function exists(
  ctx: HandlerContext,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
) {
  try {
    ctx.store.get(info, namespace, name);
    return true;
  } catch {
    return false;
  }
}

/** PUT or PATCH of `scale`: the Scale object changes, its replicas carry over to the owner. */
function writeScale(
  ctx: HandlerContext,
  info: ResourceInfo,
  namespace: string,
  name: string,
  method: WriteMethod,
  contentType: string | undefined,
  body: any,
  opts: WriteOptions,
) {
  const { store } = ctx;
  const current = store.scaleOf(info, namespace, name);
  let next: any = body;
  if (method === 'PATCH') {
    const type: PatchType | undefined = patchTypeOf(contentType);
    if (!type)
      throw new ApiError(415, 'UnsupportedMediaType', 'unsupported patch type');
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
  if (rv && rv !== current.metadata.resourceVersion) throw conflict(info, name);
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
}
