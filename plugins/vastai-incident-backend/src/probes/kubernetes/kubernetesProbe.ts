import type { CoreV1Event, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type {
  KubernetesValue,
  PodSummary,
  SignalState,
} from '@vastai-incident/backstage-plugin-common';
import type { IntegrationKubernetesConfig } from '../../config';
import { redactText } from '../../redact';
import { describeUpstreamError } from '../../upstream';
import { guardProbe, Probe, unknownSignal } from '../signal';
import { KubernetesReader, kubernetesErrorReason } from './client';

/** ISO text of a time the client gives as Date or string. */
export function isoTime(value: unknown): string | undefined {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'string' && value) return value;
  return undefined;
}

/** `app=x,tier=y` from the deployment's matchLabels (matchExpressions are not used by ours). */
export function selectorOf(deployment: V1Deployment): string {
  const labels = deployment.spec?.selector?.matchLabels ?? {};
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  if (pairs.length === 0)
    throw new Error('the deployment has no matchLabels selector');
  return pairs.join(',');
}

function mainContainer(deployment: V1Deployment, name?: string) {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  return (name && containers.find(c => c.name === name)) || containers[0];
}

/** Rollout state as `kubectl rollout status` judges it (old pods still around = in progress). */
export function rolloutInProgress(deployment: V1Deployment): boolean {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0))
    return true;
  if ((status.updatedReplicas ?? 0) < desired) return true;
  if ((status.replicas ?? 0) > (status.updatedReplicas ?? 0)) return true;
  return false;
}

export function summarizePod(pod: V1Pod, containerName?: string): PodSummary {
  const statuses = pod.status?.containerStatuses ?? [];
  const main =
    (containerName && statuses.find(s => s.name === containerName)) ||
    statuses[0];
  const ready =
    pod.status?.conditions?.some(
      c => c.type === 'Ready' && c.status === 'True',
    ) ?? false;
  return {
    name: pod.metadata?.name ?? '?',
    phase: pod.status?.phase ?? 'Unknown',
    ready,
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    waitingReason: main?.state?.waiting?.reason,
    lastTerminationReason: main?.lastState?.terminated?.reason,
    startedAt: isoTime(pod.status?.startTime),
  };
}

const BAD_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
]);

export function kubernetesState(value: KubernetesValue): SignalState {
  if (value.desiredReplicas > 0 && value.readyReplicas === 0) return 'failing';
  if (
    value.pods.some(p => p.waitingReason && BAD_WAITING.has(p.waitingReason))
  ) {
    return value.readyReplicas < value.desiredReplicas ? 'failing' : 'degraded';
  }
  if (value.readyReplicas < value.desiredReplicas || value.rolloutInProgress)
    return 'degraded';
  return 'ok';
}

/** Warning events of the deployment, its ReplicaSets and pods, seen in the last hour. */
export function recentWarnings(
  events: CoreV1Event[],
  deployment: string,
  nowMs: number,
): KubernetesValue['warningEvents'] {
  const since = nowMs - 60 * 60 * 1000;
  return events
    .filter(e => {
      const name = e.involvedObject?.name ?? '';
      return name === deployment || name.startsWith(`${deployment}-`);
    })
    .map(e => ({
      reason: (e.reason ?? '?').slice(0, 100),
      message: redactText(e.message ?? '').slice(0, 500),
      count: e.count ?? e.series?.count ?? 1,
      lastSeen:
        isoTime(e.lastTimestamp) ??
        isoTime(e.eventTime) ??
        isoTime(e.metadata?.creationTimestamp),
    }))
    .filter(e => !e.lastSeen || Date.parse(e.lastSeen) >= since)
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
    .slice(0, 20);
}

export interface KubernetesProbeOptions {
  reader?: KubernetesReader;
  target?: IntegrationKubernetesConfig;
  /**
   * Pod selectors learnt from earlier reads, by `namespace/deployment`. A Deployment's selector is
   * immutable in apps/v1, so once known the pods can be listed in parallel with the deployment
   * (one round trip instead of two); a changed selector (deployment re-created) is re-listed.
   */
  selectors?: Map<string, string>;
}

/** The deployment of one integration: replicas, switches, rollout, pods, warning events. */
export function createKubernetesProbe(
  options: KubernetesProbeOptions,
): Probe<KubernetesValue> {
  return () =>
    guardProbe<KubernetesValue>('kubernetes', async startedAt => {
      const { reader, target } = options;
      if (!reader || !target) {
        return unknownSignal(
          'kubernetes',
          'no Kubernetes deployment is configured',
          startedAt,
        );
      }
      const selectorKey = `${target.namespace}/${target.deployment}`;
      const knownSelector = options.selectors?.get(selectorKey);
      // Events are extra evidence: without them the pods still tell the story.
      const eventsRead = reader
        .listWarningEvents(target.namespace)
        .catch(() => undefined);
      const podsRead = knownSelector
        ? reader.listPods(target.namespace, knownSelector)
        : undefined;
      podsRead?.catch(() => undefined);
      let deployment: V1Deployment;
      try {
        deployment = await reader.readDeployment(
          target.namespace,
          target.deployment,
        );
      } catch (error) {
        return unknownSignal(
          'kubernetes',
          kubernetesErrorReason(error) ?? describeUpstreamError(error),
          startedAt,
        );
      }
      const selector = selectorOf(deployment);
      options.selectors?.set(selectorKey, selector);
      const [pods, events] = await Promise.all([
        podsRead && selector === knownSelector
          ? podsRead
          : reader.listPods(target.namespace, selector),
        eventsRead,
      ]);
      const container = mainContainer(deployment, target.container);
      const env = new Map((container?.env ?? []).map(e => [e.name, e]));
      const literal = (name: string) => {
        const entry = env.get(name);
        return entry && entry.valueFrom === undefined
          ? entry.value ?? ''
          : undefined;
      };
      const fallback = literal('VASTAI_FALLBACK');
      const value: KubernetesValue = {
        cluster: target.cluster,
        namespace: target.namespace,
        deployment: target.deployment,
        desiredReplicas: deployment.spec?.replicas ?? 1,
        readyReplicas: deployment.status?.readyReplicas ?? 0,
        pods: pods
          .filter(p => !p.metadata?.deletionTimestamp)
          .slice(0, 50)
          .map(p => summarizePod(p, container?.name)),
        fallbackEnabled:
          fallback === undefined
            ? undefined
            : fallback.toLowerCase() === 'true',
        rateLimitMode: literal('RATE_LIMIT_MODE'),
        rolloutInProgress: rolloutInProgress(deployment),
        warningEvents: events
          ? recentWarnings(events, target.deployment, Date.now())
          : [],
      };
      const state = kubernetesState(value);
      const crashing = value.pods.filter(
        p => p.waitingReason && BAD_WAITING.has(p.waitingReason),
      );
      const parts = [`${value.readyReplicas}/${value.desiredReplicas} ready`];
      if (crashing.length)
        parts.push(`${crashing.length} pod(s) in ${crashing[0].waitingReason}`);
      if (value.rolloutInProgress) parts.push('rollout in progress');
      if (value.fallbackEnabled) parts.push('fallback on');
      if (value.rateLimitMode && value.rateLimitMode !== 'direct')
        parts.push(`rate-limit mode ${value.rateLimitMode}`);
      if (value.warningEvents.length)
        parts.push(`${value.warningEvents.length} warning event(s)`);
      return {
        source: 'kubernetes',
        state,
        summary: `${target.deployment}: ${parts.join(', ')}`,
        value,
        observedAt: new Date().toISOString(),
        latencyMs: Date.now() - startedAt,
        ...(events ? {} : { reason: 'warning events could not be read' }),
      };
    });
}
