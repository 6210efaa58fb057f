/**
 * A Deployment's status as the deployment controller writes it: replica counts, and the
 * `Available` and `Progressing` conditions (complete, progressing, or past its deadline).
 */
import { deepClone, isoSeconds } from '../objects';
import { KubeObject } from '../types';

/** `25%` or `1` against a total, rounded like the controller does. */
function intOrPercent(
  v: unknown,
  total: number,
  roundUp: boolean,
  fallback: string,
): number {
  const raw = v === undefined || v === null ? fallback : v;
  if (typeof raw === 'number') return raw;
  const m = String(raw).match(/^(\d+)%$/);
  if (m) {
    const x = (Number(m[1]) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return Number(raw) || 0;
}

/** How many pods a rolling update may add above `spec.replicas` (rounded up). */
export const maxSurge = (dep: KubeObject): number =>
  rollingLimit(dep, 'maxSurge');

/** How many of `spec.replicas` a rolling update may take down at once (rounded down). */
export const maxUnavailable = (dep: KubeObject): number =>
  rollingLimit(dep, 'maxUnavailable');

function rollingLimit(dep: KubeObject, field: 'maxSurge' | 'maxUnavailable') {
  return intOrPercent(
    dep.spec.strategy?.rollingUpdate?.[field],
    dep.spec.replicas ?? 1,
    field === 'maxSurge',
    '25%',
  );
}

/** The condition list with `type` set; unchanged (same timestamps) when nothing differs. */
export function withCondition(
  conditions: any[] | undefined,
  type: string,
  status: string,
  reason: string,
  message: string,
  /** Refresh lastUpdateTime even when nothing else changes (progress was made). */
  touch = false,
): any[] {
  const list = deepClone(conditions ?? []);
  const ts = isoSeconds();
  const i = list.findIndex(c => c.type === type);
  const prev = i >= 0 ? list[i] : undefined;
  if (
    prev &&
    prev.status === status &&
    prev.reason === reason &&
    prev.message === message &&
    (!touch || prev.lastUpdateTime === ts)
  )
    return list;
  const next = {
    type,
    status,
    lastUpdateTime: ts,
    lastTransitionTime:
      prev && prev.status === status ? prev.lastTransitionTime : ts,
    reason,
    message,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  // the API server keeps Available before Progressing
  const rank = (c: any) => (c.type === 'Available' ? 0 : 1);
  return list.sort((a, b) => rank(a) - rank(b));
}

export interface RolloutCounts {
  /** Pods of every ReplicaSet of the deployment, and those of the newest one. */
  allPods: number;
  newPods: number;
  /** Ready pods overall and of the newest ReplicaSet. */
  ready: number;
  newReady: number;
  /** Sum of the ReplicaSets' `spec.replicas`. */
  specReplicas: number;
  /** Name of the ReplicaSet of the current template, if it exists yet. */
  newReplicaSet?: string;
}

/** The status the controller would write now (the caller stores it when it differs). */
export function deploymentStatus(dep: KubeObject, counts: RolloutCounts) {
  const desired: number = dep.spec.replicas ?? 1;
  const { allPods, newPods, ready } = counts;
  const status: any = {
    observedGeneration: dep.metadata.generation ?? 1,
    replicas: allPods,
    updatedReplicas: newPods,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, counts.specReplicas - ready),
  };
  let conditions = dep.status?.conditions;
  const minAvailable =
    dep.spec.strategy?.type === 'Recreate'
      ? desired
      : desired - maxUnavailable(dep);
  conditions =
    ready >= minAvailable
      ? withCondition(
          conditions,
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
        )
      : withCondition(
          conditions,
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
        );
  if (counts.newReplicaSet)
    conditions = progressingCondition(dep, conditions, counts);
  status.conditions = conditions;
  for (const k of [
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ])
    if (!status[k]) delete status[k];
  return status;
}

/** The deployment controller's syncRolloutStatus: complete, progressing, or timed out. */
function progressingCondition(
  dep: KubeObject,
  conditions: any[],
  counts: RolloutCounts,
): any[] {
  const desired: number = dep.spec.replicas ?? 1;
  const { allPods, newPods, ready } = counts;
  const prev = dep.status ?? {};
  const rsName = counts.newReplicaSet;
  const complete =
    newPods === desired && counts.newReady === desired && allPods === desired;
  const progressed =
    newPods > (prev.updatedReplicas ?? 0) ||
    ready > (prev.readyReplicas ?? 0) ||
    ready > (prev.availableReplicas ?? 0) ||
    (prev.replicas ?? 0) > allPods;
  const progressing = conditions.find((c: any) => c.type === 'Progressing');
  const deadlineMs = (dep.spec.progressDeadlineSeconds ?? 600) * 1000;
  const timedOut =
    progressing?.reason === 'ProgressDeadlineExceeded' ||
    (progressing?.reason !== 'NewReplicaSetAvailable' &&
      !!progressing?.lastUpdateTime &&
      Date.now() - Date.parse(progressing.lastUpdateTime) > deadlineMs);
  if (complete) {
    return withCondition(
      conditions,
      'Progressing',
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${rsName}" has successfully progressed.`,
    );
  }
  if (progressed) {
    return withCondition(
      conditions,
      'Progressing',
      'True',
      'ReplicaSetUpdated',
      `ReplicaSet "${rsName}" is progressing.`,
      true,
    );
  }
  if (timedOut) {
    return withCondition(
      conditions,
      'Progressing',
      'False',
      'ProgressDeadlineExceeded',
      `ReplicaSet "${rsName}" has timed out progressing.`,
    );
  }
  return conditions;
}
