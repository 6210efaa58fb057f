import type {
  Branch,
  DecisionStep,
} from '@internal/plugin-vastai-incident-common';
import type { Assessment } from './assess';
import type { Readings } from './readings';
import type { DecisionQuestion } from './types';

/*
 * The runbook's tree:
 *   Is the Vast.ai API returning errors?
 *     yes: does the status page show an incident?  yes -> vendor-incident, no -> our-integration
 *     no:  is our service healthy?                 yes -> resolved-or-intermittent, no -> our-infrastructure
 * An `unknown` answer goes the way the other evidence points, and the step says so.
 */
export const DECISION_TREE: Record<
  DecisionQuestion,
  { yes: string; no: string }
> = {
  'vendor-api-errors': { yes: 'vendor-status-incident', no: 'service-healthy' },
  'vendor-status-incident': { yes: 'vendor-incident', no: 'our-integration' },
  'service-healthy': {
    yes: 'resolved-or-intermittent',
    no: 'our-infrastructure',
  },
};

function step(
  question: DecisionQuestion,
  answer: DecisionStep['answer'],
  evidence: string[],
  unknownLeadsTo: 'yes' | 'no' = 'no', // only used when answer is unknown
): DecisionStep {
  const edge = answer === 'unknown' ? unknownLeadsTo : answer;
  return {
    question,
    answer,
    evidence: evidence.join('; '),
    leadsTo: DECISION_TREE[question][edge],
  };
}

export function walkDecisionTree(
  r: Readings,
  a: Assessment,
): { path: DecisionStep[]; leaf: Branch } {
  const { metrics: m, probe, status, health, kube } = r;
  const path: DecisionStep[] = [];

  if (a.apiFailures.length > 0) {
    path.push(
      step(
        'vendor-api-errors',
        'yes',
        a.apiFailures.map(f => f.reason),
      ),
    );
    if (a.statusDecides) {
      path.push(
        step('vendor-status-incident', status.incident ? 'yes' : 'no', [
          status.evidence,
        ]),
      );
    } else {
      // The status page could not be read (or only an old "all fine"): never claim or deny an
      // incident from it; our own probe decides whether the problem is on Vast.ai's side.
      const side = a.probeConfirmsVendorSide
        ? `${probe.evidence}: the problem is on Vast.ai's side`
        : `our probe does not show a Vast.ai-side problem (${probe.evidence})`;
      path.push(
        step(
          'vendor-status-incident',
          'unknown',
          [status.evidence, side],
          a.probeConfirmsVendorSide ? 'yes' : 'no',
        ),
      );
    }
  } else {
    // No failure seen. Only readable metrics can say "no"; without them it stays unknown.
    path.push(
      step(
        'vendor-api-errors',
        m.readable ? 'no' : 'unknown',
        [a.quietCallsEvidence, probe.evidence],
        'no',
      ),
    );
    let answer: 'yes' | 'no' | 'unknown' = 'unknown';
    if (a.serviceProblems.length > 0) answer = 'no';
    else if (a.serviceLooksUp) answer = 'yes';
    // Unknown is not read as an outage either: "monitor", with the gap named in the evidence.
    path.push(
      step('service-healthy', answer, [health.evidence, kube.evidence], 'yes'),
    );
  }
  return { path, leaf: path[path.length - 1].leadsTo as Branch };
}
