import type {
  Branch,
  RecommendedAction,
} from '@internal/plugin-vastai-incident-common';
import type { Assessment } from './assess';
import type { Readings } from './readings';

/**
 * The runbook's error-type table (401/403 -> new key, 429 -> queue, 5xx -> fallback, crashing
 * pods -> restart) plus the way back once the cause has gone. Nothing whose effect is already in
 * place; an action and its revert exclude each other by construction (fallback on/off, queue on/off).
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
  if (!a.fallbackOn) {
    let why: string | undefined;
    if (a.vendor5xxBreach) why = 'Vast.ai answers our calls with 5xx';
    else if (probe.verdict === 'vendor-down')
      why = `Vast.ai is failing (${probe.evidence})`;
    else if (branch === 'vendor-incident') why = 'Vast.ai has an incident';
    if (why) {
      actions.push({
        id: 'enable-fallback',
        reason: `${why}: serve cached offers instead of errors until it recovers`,
      });
    }
  }
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
  if (a.queueOn && m.readable && m.rateLimitedPerMinute === 0) {
    actions.push({
      id: 'direct-mode',
      reason:
        'Vast.ai sends no 429s now: direct mode is safe again if Vast.ai has raised the limit; watch for 429s after switching',
    });
  }
  return actions;
}
