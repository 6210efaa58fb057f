import type {
  Branch,
  RecommendedAction,
} from '@vastai-incident/backstage-plugin-common';
import type { Assessment } from './assess';
import type { Readings } from './readings';

/** Why to turn fallback on, or nothing when it would not help. */
function fallbackReason(
  r: Readings,
  a: Assessment,
  branch: Branch,
): string | undefined {
  const { probe } = r;
  if (a.vendor5xxBreach)
    return 'Vast.ai answers our calls with 5xx: serve cached offers instead of errors until it recovers';
  if (a.vendorTrouble === 'unreachable')
    return `Vast.ai cannot be reached (${probe.evidence}): serve cached offers instead of errors until it recovers`;
  if (a.vendorTrouble === 'errors')
    return `Vast.ai is failing (${probe.evidence}): serve cached offers instead of errors until it recovers`;
  if (a.vendorTrouble === 'slow')
    return `an option while Vast.ai is slow (${probe.evidence}): cached offers answer at once, live ones still arrive, slowly`;
  if (branch === 'vendor-incident')
    return 'Vast.ai has an incident: serve cached offers instead of errors until it recovers';
  return undefined;
}

/**
 * The runbook's error-type table (401/403 -> new key, 429 -> queue, 5xx -> fallback, crashing
 * pods -> restart) plus the way back once the cause has gone. Nothing whose effect is already in
 * place; an action and its revert exclude each other by construction (fallback on/off, queue
 * on/off); a revert only on fresh evidence that Vast.ai is healthy.
 */
export function recommendActions(
  r: Readings,
  a: Assessment,
  branch: Branch,
): RecommendedAction[] {
  const { kube, metrics: m, probe } = r;
  const actions: RecommendedAction[] = [];

  if (a.authBreach) {
    actions.push({
      id: 'rotate-api-key',
      reason:
        "Vast.ai rejects the service's API key (401/403): put a new key in the Secret and restart the deployment",
    });
  }
  const why = a.fallbackOn ? undefined : fallbackReason(r, a, branch);
  if (why) actions.push({ id: 'enable-fallback', reason: why });
  if (a.rateLimitBreach && !a.queueOn) {
    actions.push({
      id: 'queue-mode',
      reason:
        'Vast.ai rate-limits our calls (429): pace them through the queue',
    });
  }
  if (
    kube.known &&
    (kube.down || kube.podsUnhealthy) &&
    kube.desired > 0 &&
    !kube.rolloutInProgress
  ) {
    actions.push({
      id: 'rollout-restart',
      reason: `pods are crashing or not ready (${kube.evidence}): restart the deployment`,
    });
  }
  if (a.fallbackOn && a.vendorHealthy) {
    actions.push({
      id: 'disable-fallback',
      reason: `Vast.ai looks healthy again (${probe.evidence}): turn fallback off so users get live offers`,
    });
  }
  if (a.queueOn && a.vendorHealthy && m.rateLimitedPerMinute === 0) {
    actions.push({
      id: 'direct-mode',
      reason:
        'Vast.ai sends no 429s now: direct mode is safe again if Vast.ai has raised the limit; watch for 429s after switching',
    });
  }
  return actions;
}
