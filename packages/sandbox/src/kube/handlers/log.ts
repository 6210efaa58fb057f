/**
 * `pods/log`: a container's log as text (`container`, `previous`, `sinceSeconds`, `sinceTime`,
 * `tailLines`, `timestamps`, `limitBytes`), or with `follow=true` a stream of new lines until
 * the pod goes, the client goes or the server closes.
 */
import http from 'http';
import { badRequest } from '../errors';
import { HandlerContext, numberParam, openStream } from './context';

export function handleLog(
  ctx: HandlerContext,
  res: http.ServerResponse,
  q: URLSearchParams,
  namespace: string,
  name: string,
) {
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
  const container = q.get('container') ?? undefined;
  const text = ctx.store.readLog(namespace, name, container, query);
  if (q.get('follow') !== 'true' || query.previous) {
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Transfer-Encoding': 'chunked',
  });
  res.write(text);
  const stream = openStream(ctx, res);
  stream.onStop(
    ctx.store.followLog(
      namespace,
      name,
      container,
      query,
      chunk => res.write(chunk),
      stream.stop,
    ),
  );
}
