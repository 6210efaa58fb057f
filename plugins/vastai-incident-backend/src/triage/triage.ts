import type {
  Branch,
  Severity,
  TriageSide,
} from '@vastai-incident/backstage-plugin-common';
import { recommendActions } from './actions';
import { assess, Assessment, Finding } from './assess';
import { newestObservation } from './evidence';
import { readSignals } from './readings';
import {
  DEFAULT_FRESHNESS_SECONDS,
  DEFAULT_TRIAGE_THRESHOLDS,
  TriageThresholds,
} from './thresholds';
import type { TriageInput, TriageOptions, TriageOutcome } from './types';
import { walkDecisionTree } from './walkTree';

/** Whose side the trouble is on, from the branch and what placed it there. */
function sideOf(branch: Branch, a: Assessment): TriageSide {
  switch (branch) {
    case 'vendor-incident':
      return 'vastai';
    case 'our-infrastructure':
      return 'ours';
    case 'our-integration':
      // Ours when our probe answers OK now, or a fresh status page clears Vast.ai of calls
      // that got answers; calls with no answer and only the page to go by could be either.
      return a.probeOkNow || (a.statusDecides && !a.unansweredBreach)
        ? 'ours'
        : 'unclear';
    default:
      return 'none';
  }
}

function lead(branch: Branch, side: TriageSide, a: Assessment): string {
  const fallback = a.fallbackOn
    ? 'our fallback is on, wait for Vast.ai to recover'
    : 'enable our fallback and wait for Vast.ai to recover';
  switch (branch) {
    case 'vendor-incident':
      if (a.vendorTrouble === 'unreachable')
        return `Vast.ai is unreachable, from the portal's network and for the service alike: on Vast.ai's side, ${fallback}`;
      if (a.vendorTrouble === 'slow')
        return `Vast.ai is slow for our probe and the service alike: on Vast.ai's side; fallback is an option while it recovers`;
      return `Vast.ai incident, on Vast.ai's side: ${fallback}`;
    case 'our-integration': {
      const page = a.statusDecides
        ? 'Vast.ai shows no incident'
        : "Vast.ai's status page could not be read now";
      if (side === 'unclear')
        return `Our integration is failing; ${page}, and our probe cannot tell whether Vast.ai answers (side unclear): check credentials and config`;
      return a.statusDecides
        ? `Our integration is failing while ${page}, on our side: check credentials and config`
        : `Our integration is failing; ${page} and our probe does not show a Vast.ai problem, so on our side: check credentials and config`;
    }
    case 'our-infrastructure':
      if (a.egressBlocked)
        return "The service cannot reach Vast.ai while our probe from the portal's network can, on our side (network or egress): check egress rules, proxy, DNS and network policy";
      return a.vendorHealthy
        ? 'Our service is unhealthy while Vast.ai is fine, on our side: check pods, memory, network'
        : 'Our service is unhealthy, on our side: check pods, memory, network';
    case 'resolved-or-intermittent':
      return a.unchecked.length
        ? 'No failure seen, but not everything could be checked: monitor'
        : 'No ongoing failure from Vast.ai: likely resolved or intermittent, monitor';
    default:
      return 'All checks pass: Vast.ai and our integration are healthy';
  }
}

function verdict(
  branch: Branch,
  side: TriageSide,
  top: Finding | undefined,
  a: Assessment,
): string {
  const because = top ? ` (${top.reason})` : '';
  const unchecked = a.unchecked.length
    ? ` Could not check: ${a.unchecked.join(', ')}.`
    : '';
  const stale = a.staleLabels.length
    ? ` Stale: ${a.staleLabels.join(', ')}.`
    : '';
  return `${lead(branch, side, a)}${because}.${unchecked}${stale}`;
}

/**
 * Pure: from the five signals to the runbook's branch, severity (P1-P4, null only when healthy),
 * whose side the trouble is on, the decisions taken with their evidence and its age, and the
 * recommended actions.
 */
export function triage(
  input: TriageInput,
  thresholds: Partial<TriageThresholds> = {},
  options: TriageOptions = {},
): TriageOutcome {
  const t = { ...DEFAULT_TRIAGE_THRESHOLDS, ...thresholds };
  const budgets = { ...DEFAULT_FRESHNESS_SECONDS, ...options.freshnessSeconds };
  const now = options.now ?? newestObservation(input);
  const readings = readSignals(input, t, { now, budgets });
  const a = assess(input, readings, t, budgets);
  const { path, leaf } = walkDecisionTree(readings, a);

  const findings = [
    ...a.apiFailures,
    ...a.serviceProblems,
    ...a.lesserErrors,
    ...a.gaps,
  ]
    // Most severe first; the sort is stable, so evidence order within a level is kept.
    .sort((x, y) => x.severity.localeCompare(y.severity));
  const reasons = [...new Set(findings.map(f => f.reason))];
  const severity: Severity | null = findings[0]?.severity ?? null;

  // "Resolved" with nothing at all to note is the healthy state.
  const branch: Branch =
    leaf === 'resolved-or-intermittent' && !severity ? 'healthy' : leaf;
  path[path.length - 1].leadsTo = branch;
  const side = sideOf(branch, a);

  return {
    severity,
    branch,
    side,
    path,
    verdict: verdict(branch, side, findings[0], a),
    reasons,
    actions: recommendActions(readings, a, branch),
  };
}
