import type {
  KubernetesValue,
  PodSummary,
  Signal,
} from '@vastai-incident/backstage-plugin-common';
import { Age, couldNotRead, shownReading, staleSuffix } from './evidence';
import type { ReadingBase } from './readings';

/** The deployment in Kubernetes, read into plain facts. */
export interface KubernetesReading extends ReadingBase {
  known: boolean;
  desired: number;
  ready: number;
  /** No pod is ready: the service is down. */
  down: boolean;
  /** Some pods crash or are not ready, outside a rollout. */
  podsUnhealthy: boolean;
  rolloutInProgress: boolean;
  fallbackEnabled?: boolean;
  queueMode: boolean;
  evidence: string;
}

const CRASH_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

function isCrashing(pod: PodSummary): boolean {
  return pod.phase === 'Failed' || CRASH_REASONS.has(pod.waitingReason ?? '');
}

export function readKubernetes(
  signal: Signal<KubernetesValue>,
  age: Age,
): KubernetesReading {
  const v = signal.value;
  if (signal.state === 'unknown' || !v) {
    const evidence = couldNotRead('pods', signal);
    return {
      known: false,
      desired: 0,
      ready: 0,
      down: false,
      podsUnhealthy: false,
      rolloutInProgress: false,
      queueMode: false,
      evidence,
      age,
      shown: shownReading(signal, age, evidence),
    };
  }
  const crashing = v.pods.filter(isCrashing);
  const rolloutInProgress = v.rolloutInProgress === true;
  const down = v.readyReplicas === 0;
  const podsUnhealthy =
    !down &&
    (crashing.length > 0 ||
      (v.readyReplicas < v.desiredReplicas && !rolloutInProgress));
  const details: string[] = [];
  if (crashing.length) {
    const reason = crashing[0].waitingReason ?? crashing[0].phase;
    const last = crashing.find(
      p => p.lastTerminationReason,
    )?.lastTerminationReason;
    details.push(
      `${crashing.length} in ${reason}${last ? ` (last: ${last})` : ''}`,
    );
  }
  if (rolloutInProgress) details.push('rollout in progress');
  if (v.desiredReplicas === 0) details.push('scaled to 0');
  const words = `${v.readyReplicas}/${v.desiredReplicas} ready${
    details.length ? `, ${details.join(', ')}` : ''
  }`;
  return {
    known: true,
    desired: v.desiredReplicas,
    ready: v.readyReplicas,
    down,
    podsUnhealthy,
    rolloutInProgress,
    fallbackEnabled: v.fallbackEnabled,
    queueMode: v.rateLimitMode === 'queue',
    evidence: `pods: ${words}${staleSuffix(signal, age)}`,
    age,
    shown: shownReading(signal, age, words),
  };
}
