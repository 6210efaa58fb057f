/**
 * Pod status as the kubelet reports it at each step of a pod's life: created, blocked on its
 * config, running, crashed, terminating. Pure: each takes the pod and returns the new object.
 */
import { createHash, randomBytes } from 'crypto';
import { isoSeconds } from '../objects';
import { KubeObject } from '../types';

/** The restart back-off the kubelet shows: 10s doubling up to 5 minutes. */
const backoffSeconds = (restarts: number) =>
  Math.min(300, 10 * 2 ** Math.max(0, restarts - 1));

const randomContainerId = () =>
  `containerd://${randomBytes(32).toString('hex')}`;

/** One status per container of the spec, each built from its previous status. */
function containerStatuses(pod: KubeObject, fn: (c: any, spec: any) => any) {
  const specs = pod.spec?.containers ?? [];
  const prev = pod.status?.containerStatuses ?? [];
  return specs.map((s: any) =>
    fn(
      prev.find((c: any) => c.name === s.name) ?? {
        name: s.name,
        restartCount: 0,
      },
      s,
    ),
  );
}

function podConditions(pod: KubeObject, ready: boolean) {
  const old: any[] = pod.status?.conditions ?? [];
  const ts = isoSeconds();
  const cond = (type: string, status: boolean, extra: object = {}) => {
    const s = status ? 'True' : 'False';
    const prev = old.find(c => c.type === type);
    return {
      type,
      status: s,
      lastProbeTime: null,
      lastTransitionTime:
        prev && prev.status === s ? prev.lastTransitionTime : ts,
      ...(status ? {} : extra),
    };
  };
  const names = (pod.spec?.containers ?? []).map((c: any) => c.name).join(' ');
  const notReady = {
    reason: 'ContainersNotReady',
    message: `containers with unready status: [${names}]`,
  };
  return [
    cond('PodReadyToStartContainers', true),
    cond('Initialized', true),
    cond('Ready', ready, notReady),
    cond('ContainersReady', ready, notReady),
    cond('PodScheduled', true),
  ];
}

/** Containers that are not running yet, waiting for `waiting.reason`. */
function waitingStatus(pod: KubeObject, waiting: object, extra: object = {}) {
  return containerStatuses(pod, (c, s) => ({
    ...c,
    image: s.image,
    imageID: '',
    ready: false,
    started: false,
    ...extra,
    state: { waiting },
  }));
}

/** A freshly scheduled pod: Pending on the node, its containers being created. */
export function pendingPod(pod: KubeObject, nodeName: string): KubeObject {
  const ts = isoSeconds();
  const podIP = `10.244.0.${10 + Math.floor(Math.random() * 240)}`;
  const next: KubeObject = {
    ...pod,
    spec: { ...pod.spec, nodeName: pod.spec?.nodeName ?? nodeName },
    status: {
      phase: 'Pending',
      conditions: [],
      hostIP: '10.0.0.10',
      hostIPs: [{ ip: '10.0.0.10' }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: ts,
      qosClass: 'BestEffort',
    },
  };
  next.status.conditions = podConditions(next, false);
  next.status.containerStatuses = waitingStatus(
    next,
    { reason: 'ContainerCreating' },
    { restartCount: 0, lastState: {} },
  );
  return next;
}

/** The container cannot be created: a Secret it needs is missing. */
export function blockedPod(pod: KubeObject, error: string): KubeObject {
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Pending',
      conditions: podConditions(pod, false),
      containerStatuses: waitingStatus(pod, {
        reason: 'CreateContainerConfigError',
        message: error,
      }),
    },
  };
}

export const isBlocked = (pod: KubeObject) =>
  pod.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
  'CreateContainerConfigError';

export function runningPod(pod: KubeObject, now: number): KubeObject {
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      conditions: podConditions(pod, true),
      containerStatuses: containerStatuses(pod, (c, s) => ({
        ...c,
        image: s.image,
        imageID: `${String(s.image).split(':')[0]}@sha256:${createHash('sha256')
          .update(String(s.image))
          .digest('hex')}`,
        containerID: randomContainerId(),
        ready: true,
        started: true,
        state: { running: { startedAt: isoSeconds(now) } },
      })),
    },
  };
}

/** The container died (OOMKilled) and waits in CrashLoopBackOff, one restart more. */
export function crashedPod(pod: KubeObject, now: number): KubeObject {
  const { name, uid } = pod.metadata;
  const namespace = pod.metadata.namespace ?? '';
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      conditions: podConditions(pod, false),
      containerStatuses: containerStatuses(pod, (c, s) => {
        const restartCount = (c.restartCount ?? 0) + 1;
        return {
          ...c,
          image: s.image,
          imageID: c.imageID ?? '',
          containerID: randomContainerId(),
          ready: false,
          started: false,
          restartCount,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off ${backoffSeconds(
                restartCount,
              )}s restarting failed container=${
                s.name
              } pod=${name}_${namespace}(${uid})`,
            },
          },
          lastState: {
            terminated: {
              exitCode: 137,
              reason: 'OOMKilled',
              startedAt: isoSeconds(now - 2000),
              finishedAt: isoSeconds(now),
              containerID: c.containerID,
            },
          },
        };
      }),
    },
  };
}

/** Graceful deletion: marked for deletion after its grace period, no longer ready. */
export function terminatingPod(pod: KubeObject, now: number): KubeObject {
  const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: isoSeconds(now + grace * 1000),
      deletionGracePeriodSeconds: grace,
    },
    status: { ...pod.status, conditions: podConditions(pod, false) },
  };
}
