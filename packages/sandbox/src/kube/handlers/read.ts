/**
 * GET on a resource: one object or a list (label and field selectors), as JSON, a Table or
 * metadata only, as the Accept header asks; `log` and `scale` subresources; watches.
 */
import http from 'http';
import { badRequest, methodNotAllowed, pathNotFound } from '../errors';
import {
  SelectorError,
  parseFieldSelector,
  parseLabelSelector,
} from '../selectors';
import {
  partialObjectMetadata,
  toTable,
  wantsMetadataOnly,
  wantsTable,
} from '../table';
import { HandlerContext, Target, kindList, send, sendError } from './context';
import { handleLog } from './log';
import { handleWatch } from './watch';

export function handleRead(
  ctx: HandlerContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  q: URLSearchParams,
  t: Target,
) {
  const { store } = ctx;
  const { info, namespace, name, subresource } = t;
  const accept = req.headers.accept;
  const includeObject = q.get('includeObject') ?? undefined;
  if (name && !t.watchPrefix) {
    if (subresource === 'log')
      return handleLog(ctx, res, q, namespace ?? 'default', name);
    if (subresource === 'scale')
      return send(res, 200, store.scaleOf(info, namespace ?? 'default', name));
    const obj = store.get(info, namespace, name);
    if (wantsTable(accept)) {
      return send(
        res,
        200,
        toTable(info, [obj], {
          includeObject,
          resourceVersion: store.resourceVersion,
        }),
      );
    }
    if (wantsMetadataOnly(accept))
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
  // a watch on one object (`watch/namespaces/x/pods/<name>`) is a watch on its name
  if (name)
    fieldSelector.push({ path: 'metadata.name', value: name, negate: false });
  if (t.watchPrefix || q.get('watch') === 'true' || q.get('watch') === '1') {
    if (!info.verbs.includes('watch')) throw methodNotAllowed();
    return handleWatch(ctx, req, res, q, t, { labelSelector, fieldSelector });
  }
  const { items, resourceVersion } = store.list(info, namespace, {
    labelSelector,
    fieldSelector,
  });
  if (wantsTable(accept))
    return send(
      res,
      200,
      toTable(info, items, { includeObject, resourceVersion }),
    );
  if (wantsMetadataOnly(accept)) {
    return send(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion },
      items: items.map(partialObjectMetadata),
    });
  }
  return send(res, 200, kindList(info, items, resourceVersion));
}
