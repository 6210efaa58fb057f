import { decisionEdge } from '@vastai-incident/backstage-plugin-common';
import type {
  Branch,
  DecisionQuestion,
  DecisionStep,
  EvidenceReading,
} from '@vastai-incident/backstage-plugin-common';
import type { Assessment } from './assess';
import type { Readings } from './readings';

/*
 * Walks the runbook's tree (the model lives in the common package, drawn by the frontend).
 * An `unknown` answer goes the way the other evidence points, and the step says so.
 */
function step(
  question: DecisionQuestion,
  answer: DecisionStep['answer'],
  evidence: string[],
  readings: EvidenceReading[],
  unknownLeadsTo: 'yes' | 'no' = 'no', // only used when answer is unknown
): DecisionStep {
  const edge = answer === 'unknown' ? unknownLeadsTo : answer;
  return {
    question,
    answer,
    evidence: evidence.filter(Boolean).join('; '),
    leadsTo: decisionEdge(question, edge),
    readings,
  };
}

/** "Does the status page show an incident?", with our probe to overrule an old or silent page. */
function statusStep(r: Readings, a: Assessment): DecisionStep {
  const { status, probe } = r;
  const readings = [status.shown, probe.shown];
  if (status.known && status.incident)
    return step('vendor-status-incident', 'yes', [status.evidence], readings);
  if (a.confirmsVendorSide) {
    // Status pages lag real outages by many minutes: our own probe, from the portal's
    // network, seeing the same failure as the service places it on Vast.ai's side.
    const lag =
      status.known && status.age.fresh
        ? 'the status page shows nothing yet (status pages lag real outages)'
        : '';
    const same =
      a.vendorTrouble === 'unreachable'
        ? " and the service's calls get no answer either"
        : '';
    return step(
      'vendor-status-incident',
      'unknown',
      [
        status.evidence,
        lag,
        `${probe.evidence}${same}: the problem is on Vast.ai's side`,
      ],
      readings,
      'yes',
    );
  }
  if (a.statusDecides)
    return step('vendor-status-incident', 'no', [status.evidence], readings);
  // The status page could not be read (or only an old "all fine"): never claim or deny an
  // incident from it; our own probe decides whether the problem is on Vast.ai's side.
  return step(
    'vendor-status-incident',
    'unknown',
    [
      status.evidence,
      `our probe does not show a Vast.ai-side problem (${probe.evidence})`,
    ],
    readings,
    'no',
  );
}

export function walkDecisionTree(
  r: Readings,
  a: Assessment,
): { path: DecisionStep[]; leaf: Branch } {
  const { metrics: m, probe, health, kube } = r;
  const path: DecisionStep[] = [];
  const callReadings = [probe.shown, m.shown];

  if (a.apiFailures.length > 0) {
    path.push(
      step(
        'vendor-api-errors',
        'yes',
        a.apiFailures.map(f => f.reason),
        callReadings,
      ),
    );
    path.push(statusStep(r, a));
  } else {
    // No failure seen. Only readable metrics can say "no"; without them it stays unknown.
    path.push(
      step(
        'vendor-api-errors',
        m.readable ? 'no' : 'unknown',
        [a.quietCallsEvidence, probe.evidence],
        callReadings,
        'no',
      ),
    );
    let answer: 'yes' | 'no' | 'unknown' = 'unknown';
    if (a.serviceProblems.length > 0) answer = 'no';
    else if (a.serviceLooksUp) answer = 'yes';
    // Unknown is not read as an outage either: "monitor", with the gap named in the evidence.
    path.push(
      step(
        'service-healthy',
        answer,
        [a.egressEvidence ?? '', health.evidence, kube.evidence],
        [health.shown, kube.shown],
        'yes',
      ),
    );
  }
  return { path, leaf: path[path.length - 1].leadsTo as Branch };
}
