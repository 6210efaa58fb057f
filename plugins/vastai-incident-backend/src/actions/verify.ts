import type {
  ActionId,
  IntegrationHealthValue,
  KubernetesValue,
  MetricsValue,
  Signal,
} from '@vastai-incident/backstage-plugin-common';
import type { IntegrationConfig } from '../config';
import type { TriageInput } from '../triage';
import type { KubernetesWriter } from './kubernetesWriter';
import { DeploymentLike, rolloutComplete } from './patches';
import type { ActionVerification } from './types';

/** Where the verifier reads signals: the plugin's SignalService fits. */
export interface SignalReader {
  collect(integration: IntegrationConfig): Promise<TriageInput>;
}

export interface VerifyTimings {
  /** The whole verification (rollout + recovery) deadline. */
  deadlineMs: number;
  pollIntervalMs: number;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Waits for `observedGeneration >= generation` and updated == available == desired. */
export async function waitForRollout(
  kube: KubernetesWriter,
  namespace: string,
  name: string,
  until: number,
  pollIntervalMs: number,
): Promise<{
  complete: boolean;
  deployment?: DeploymentLike;
  evidence: string;
}> {
  let last: DeploymentLike | undefined;
  for (;;) {
    try {
      last = await kube.readDeployment(namespace, name);
      if (rolloutComplete(last)) {
        return {
          complete: true,
          deployment: last,
          evidence: describeRollout(last),
        };
      }
    } catch {
      // a failed read is retried until the deadline
    }
    if (Date.now() + pollIntervalMs > until) {
      return {
        complete: false,
        deployment: last,
        evidence: last
          ? describeRollout(last)
          : 'the deployment could not be read',
      };
    }
    await sleep(pollIntervalMs);
  }
}

function describeRollout(d: DeploymentLike): string {
  const s = d.status ?? {};
  return `rollout: generation ${d.metadata?.generation ?? '?'} observed ${
    s.observedGeneration ?? '?'
  }, ${s.updatedReplicas ?? 0} updated / ${
    s.availableReplicas ?? 0
  } available / ${d.spec?.replicas ?? 1} desired`;
}

/** A signal observed after `since` and not a stale last-known-good value. */
function fresh<T>(
  signal: Signal<T>,
  since: number,
): signal is Signal<T> & { value: T } {
  return (
    !signal.stale &&
    signal.state !== 'unknown' &&
    signal.value !== undefined &&
    Date.parse(signal.observedAt) >= since
  );
}

interface Judgement {
  signal: string;
  recovered: boolean;
  evidence: string;
}

/**
 * Whether the signal that calls for this action has recovered, judged only on fresh signals.
 * `undefined`: no fresh signal to judge yet.
 */
export function judgeRecovery(
  actionId: ActionId,
  input: TriageInput,
  integration: IntegrationConfig,
  since: number,
): Judgement | undefined {
  const health = input.health as Signal<IntegrationHealthValue>;
  const metrics = input.metrics as Signal<MetricsValue>;
  const kube = input.kubernetes as Signal<KubernetesValue>;
  const h = fresh(health, since) ? health.value : undefined;
  const m = fresh(metrics, since) ? metrics.value : undefined;
  const t = integration.thresholds;

  switch (actionId) {
    case 'rotate-api-key': {
      if (h) {
        const ok = h.status === 'healthy' && h.vastaiConnected !== false;
        return {
          signal: 'integration health (auth errors)',
          recovered: ok,
          evidence: `health: ${h.status}`,
        };
      }
      if (m && m.authErrorsPerMinute !== null) {
        return {
          signal: 'auth error rate',
          recovered: m.authErrorsPerMinute <= t.authErrorsPerMinute,
          evidence: `auth errors: ${m.authErrorsPerMinute.toFixed(1)}/min`,
        };
      }
      return undefined;
    }
    case 'queue-mode':
    case 'direct-mode': {
      if (m && m.rateLimitedPerMinute !== null) {
        return {
          signal: '429 rate',
          recovered: m.rateLimitedPerMinute <= t.rateLimitedPerMinute,
          evidence: `429s: ${m.rateLimitedPerMinute.toFixed(
            1,
          )}/min (threshold ${t.rateLimitedPerMinute})`,
        };
      }
      return undefined;
    }
    case 'enable-fallback': {
      if (!h) return undefined;
      return {
        signal: 'integration health (fallback, degraded but up)',
        recovered: h.fallback === true && h.status !== 'unhealthy',
        evidence: `health: ${h.status}${
          h.fallback ? ', fallback on' : ', fallback off'
        }`,
      };
    }
    case 'disable-fallback': {
      if (!h) return undefined;
      return {
        signal: 'integration health (fallback off)',
        recovered: h.fallback !== true,
        evidence: `health: ${h.status}${
          h.fallback ? ', fallback on' : ', fallback off'
        }`,
      };
    }
    case 'rollout-restart': {
      const k = fresh(kube, since) ? kube.value : undefined;
      if (!k) return undefined;
      const podsOk =
        k.desiredReplicas > 0 && k.readyReplicas >= k.desiredReplicas;
      const healthOk = !h || h.status !== 'unhealthy';
      return {
        signal: 'pods ready',
        recovered: podsOk && healthOk,
        evidence: `pods: ${k.readyReplicas}/${k.desiredReplicas} ready${
          h ? `, health: ${h.status}` : ''
        }`,
      };
    }
    default:
      return undefined;
  }
}

/**
 * Rollout complete, then the triggering signal recovers, both before the deadline.
 * Success is claimed only when both hold.
 */
export async function verifyAction(options: {
  actionId: ActionId;
  integration: IntegrationConfig;
  kube: KubernetesWriter;
  signals?: SignalReader;
  timings: VerifyTimings;
  startedAt: number;
}): Promise<ActionVerification> {
  const { actionId, integration, kube, signals, timings } = options;
  const target = integration.kubernetes!;
  const until = options.startedAt + timings.deadlineMs;
  const evidence: string[] = [];
  const rollout = await waitForRollout(
    kube,
    target.namespace,
    target.deployment,
    until,
    timings.pollIntervalMs,
  );
  evidence.push(rollout.evidence);
  const result = (recovered: boolean, signal?: string): ActionVerification => ({
    rolloutComplete: rollout.complete,
    recovered,
    signal,
    evidence,
    deadlineSeconds: Math.round(timings.deadlineMs / 1000),
    elapsedMs: Date.now() - options.startedAt,
  });
  if (!rollout.complete) return result(false);
  if (!signals) {
    evidence.push('no signal source to verify recovery');
    return result(false);
  }
  const rolloutDoneAt = Date.now();
  let last: Judgement | undefined;
  for (;;) {
    try {
      const judgement = judgeRecovery(
        actionId,
        await signals.collect(integration),
        integration,
        rolloutDoneAt,
      );
      if (judgement) last = judgement;
      if (judgement?.recovered) {
        evidence.push(judgement.evidence);
        return result(true, judgement.signal);
      }
    } catch {
      // a failed read counts as "not yet"
    }
    if (Date.now() + timings.pollIntervalMs > until) break;
    await sleep(timings.pollIntervalMs);
  }
  evidence.push(
    last
      ? `${last.evidence} (not recovered within the deadline)`
      : 'no fresh signal within the deadline',
  );
  return result(false, last?.signal);
}
