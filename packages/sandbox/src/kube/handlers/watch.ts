/**
 * Watches (`?watch=true` or the `watch/` path prefix): a chunked stream of
 * `{"type":"ADDED|MODIFIED|DELETED","object":...}` lines, as Tables when the client asks for
 * them, until `timeoutSeconds` (capped by the server), the client goes or the server closes.
 */
import http from 'http';
import { ApiError, badRequest } from '../errors';
import { ListOptions } from '../objectStore';
import { toTable, wantsTable } from '../table';
import { HandlerContext, Target, numberParam, openStream } from './context';

export function handleWatch(
  ctx: HandlerContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  q: URLSearchParams,
  t: Target,
  selectors: ListOptions,
) {
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
  try {
    if (!res.headersSent) {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
        'Cache-Control': 'no-cache, private',
      });
      res.flushHeaders();
    }
    unsubscribe = ctx.store.watch(
      t.info,
      t.namespace,
      selectors,
      sinceRv,
      (type, obj) => {
        if (table) {
          // column definitions come with the first row only
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
    // a watch that cannot start (410 Gone) says so in the stream, as the API server does
    if (e instanceof ApiError) {
      write('ERROR', e.toStatus());
      res.end();
      return;
    }
    throw e;
  }
  const timeout = Math.min(
    numberParam(q, 'timeoutSeconds') ?? ctx.maxWatchSeconds,
    ctx.maxWatchSeconds,
  );
  const stream = openStream(ctx, res);
  stream.onStop(() => unsubscribe?.());
  const timer = setTimeout(stream.stop, timeout * 1000);
  stream.onStop(() => clearTimeout(timer));
  req.on('close', stream.stop);
}
