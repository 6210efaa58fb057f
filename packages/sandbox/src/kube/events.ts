/**
 * core/v1 Events as the controllers, the scheduler and the kubelet write them: one object per
 * distinct (object, reason, message), counted up when it happens again, the oldest dropped past
 * a cap.
 */
import { randomBytes, randomUUID } from 'crypto';
import type { ClusterEvent } from './cluster';
import { ObjectTable, isoSeconds } from './objects';
import { apiVersionOf, resolveKind } from './resources';

const MAX_EVENTS = 1000;

export function recordEvent(
  table: ObjectTable,
  nodeName: string,
  event: ClusterEvent,
) {
  const { namespace, kind, name, type, reason, message } = event;
  const component = event.component ?? 'sandbox';
  const target = table.get(kind, namespace, name);
  const existing = table
    .list('Event', namespace)
    .find(
      e =>
        e.involvedObject?.kind === kind &&
        e.involvedObject?.name === name &&
        e.reason === reason &&
        e.message === message,
    );
  const ts = isoSeconds();
  if (existing) {
    table.put('Event', {
      ...existing,
      count: (existing.count ?? 1) + 1,
      lastTimestamp: ts,
    });
    return;
  }
  const info = resolveKind(kind);
  const events = table.list('Event');
  if (events.length >= MAX_EVENTS) {
    const oldest = events.sort((a, b) =>
      String(a.lastTimestamp).localeCompare(String(b.lastTimestamp)),
    )[0];
    table.remove(
      'Event',
      oldest.metadata.namespace ?? '',
      oldest.metadata.name,
    );
  }
  const fromKubelet = component === 'kubelet';
  table.put('Event', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${name}.${randomBytes(8).toString('hex')}`,
      namespace,
      uid: randomUUID(),
      creationTimestamp: ts,
    },
    involvedObject: {
      kind,
      namespace,
      name,
      ...(target
        ? {
            uid: target.metadata.uid,
            resourceVersion: target.metadata.resourceVersion,
          }
        : {}),
      apiVersion: info ? apiVersionOf(info) : 'v1',
      ...(kind === 'Pod' && target
        ? {
            fieldPath: `spec.containers{${
              target.spec?.containers?.[0]?.name ?? 'app'
            }}`,
          }
        : {}),
    },
    reason,
    message,
    source: {
      component,
      ...(kind === 'Pod' && fromKubelet ? { host: nodeName } : {}),
    },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: component,
    reportingInstance: fromKubelet ? nodeName : '',
  });
}
