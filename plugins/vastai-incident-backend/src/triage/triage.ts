import type { Branch, Severity } from '@internal/plugin-vastai-incident-common';
import { recommendActions } from './actions';
import { assess, Assessment, Finding } from './assess';
import { walkDecisionTree } from './decisionTree';
import { readSignals } from './readings';
import { DEFAULT_TRIAGE_THRESHOLDS, TriageThresholds } from './thresholds';
import type { TriageInput, TriageOutcome } from './types';

const BRANCH_VERDICT: Record<Branch, string> = {
  'vendor-incident':
    'Vast.ai incident: our fallback is on, wait for Vast.ai to recover',
  'our-integration':
    'Our integration is failing while Vast.ai shows no incident: check credentials and config',
  'our-infrastructure':
    'Our service is unhealthy while Vast.ai is fine: check pods, memory, network',
  'resolved-or-intermittent':
    'No ongoing failure from Vast.ai: likely resolved or intermittent, monitor',
  healthy: 'All checks pass: Vast.ai and our integration are healthy',
};

function verdict(
  branch: Branch,
  top: Finding | undefined,
  a: Assessment,
): string {
  let lead = BRANCH_VERDICT[branch];
  if (branch === 'resolved-or-intermittent' && a.unchecked.length) {
    lead = 'No failure seen, but not everything could be checked: monitor';
  }
  if (branch === 'vendor-incident' && !a.fallbackOn) {
    lead =
      'Vast.ai incident: enable our fallback and wait for Vast.ai to recover';
  }
  if (branch === 'our-integration' && !a.statusDecides) {
    lead =
      "Our integration is failing; Vast.ai's status page could not be read now and our probe does not show a Vast.ai problem: check credentials and config";
  }
  const because = top ? ` (${top.reason})` : '';
  const unchecked = a.unchecked.length
    ? ` Could not check: ${a.unchecked.join(', ')}.`
    : '';
  const stale = a.staleLabels.length
    ? ` Stale: ${a.staleLabels.join(', ')}.`
    : '';
  return `${lead}${because}.${unchecked}${stale}`;
}

/**
 * Pure: from the five signals to the runbook's branch, severity (P1-P4, null only when healthy),
 * the decisions taken with their evidence, and the recommended actions.
 */
export function triage(
  input: TriageInput,
  thresholds: Partial<TriageThresholds> = {},
): TriageOutcome {
  const t = { ...DEFAULT_TRIAGE_THRESHOLDS, ...thresholds };
  const readings = readSignals(input, t);
  const a = assess(input, readings, t);
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

  return {
    severity,
    branch,
    path,
    verdict: verdict(branch, findings[0], a),
    reasons,
    actions: recommendActions(readings, a, branch),
  };
}
