import type {
  ActionId,
  Signal,
} from '@vastai-incident/backstage-plugin-common';
import {
  decisionEdge,
  isDecisionQuestion,
} from '@vastai-incident/backstage-plugin-common';
import type { TriageInput, TriageOutcome } from '../triage';

/*
 * What every triage outcome must satisfy, whatever the input: the checks the generated and
 * random triage tests run on each of their outcomes.
 */

const REVERTS: Array<[ActionId, ActionId]> = [
  ['enable-fallback', 'disable-fallback'],
  ['queue-mode', 'direct-mode'],
];

export function invariantViolations(
  input: TriageInput,
  o: TriageOutcome,
): string[] {
  const bad: string[] = [];
  const signals = Object.values(input) as Signal[];
  if ((o.severity === null) !== (o.branch === 'healthy'))
    bad.push('severity is null iff healthy');
  const unknowns = signals.filter(
    s => s.state === 'unknown' && !s.notConfigured,
  );
  if (o.branch === 'healthy' && unknowns.length)
    bad.push('unknown yielded healthy');
  if (o.branch === 'healthy' && signals.some(s => s.stale && !s.notConfigured))
    bad.push('stale yielded healthy');
  if (o.severity && o.reasons.length === 0)
    bad.push('severity without reasons');
  const ids = o.actions.map(a => a.id);
  if (new Set(ids).size !== ids.length) bad.push('duplicate action');
  for (const [thing, revert] of REVERTS) {
    if (ids.includes(thing) && ids.includes(revert))
      bad.push(`both ${thing} and ${revert}`);
  }
  if (o.actions.some(a => !a.reason)) bad.push('action without a reason');
  const kube =
    input.kubernetes.state === 'unknown' ? undefined : input.kubernetes.value;
  if (kube?.fallbackEnabled && ids.includes('enable-fallback'))
    bad.push('enable-fallback while on');
  if (kube?.rateLimitMode === 'queue' && ids.includes('queue-mode'))
    bad.push('queue-mode while on');
  if (kube?.rolloutInProgress && ids.includes('rollout-restart'))
    bad.push('restart during a rollout');

  // The path walks the tree from the root and ends at the returned branch.
  if (o.path[0]?.question !== 'vendor-api-errors')
    bad.push('path does not start at the root');
  o.path.forEach((step, i) => {
    const edges = isDecisionQuestion(step.question)
      ? {
          yes: decisionEdge(step.question, 'yes'),
          no: decisionEdge(step.question, 'no'),
        }
      : undefined;
    const isLast = i === o.path.length - 1;
    if (!edges || !step.evidence) bad.push(`step ${i} malformed`);
    else if (step.answer !== 'unknown') {
      const edge = edges[step.answer];
      const ok =
        step.leadsTo === edge ||
        (isLast &&
          edge === 'resolved-or-intermittent' &&
          step.leadsTo === 'healthy');
      if (!ok)
        bad.push(
          `step ${i} answer ${step.answer} leads to ${step.leadsTo}, tree says ${edge}`,
        );
    } else if (![edges.yes, edges.no, 'healthy'].includes(step.leadsTo!))
      bad.push(`step ${i} leads off the tree`);
    if (!isLast && step.leadsTo !== o.path[i + 1].question)
      bad.push(`step ${i} does not lead to step ${i + 1}`);
  });
  if (o.path[o.path.length - 1]?.leadsTo !== o.branch)
    bad.push('path does not end at the branch');
  if (input.vendorStatus.state === 'unknown') {
    const q2 = o.path.find(s => s.question === 'vendor-status-incident');
    const said = input.vendorStatus.notConfigured
      ? 'status page: none configured'
      : 'status page: could not be read';
    if (q2 && (q2.answer !== 'unknown' || !q2.evidence.includes(said))) {
      bad.push('claimed an answer from an unreadable status page');
    }
  }
  const words = [o.verdict, ...o.reasons, ...o.path.map(s => s.evidence)].join(
    '\n',
  );
  if (
    signals.some(s => s.stale && s.state !== 'unknown') &&
    !/stale/i.test(words)
  )
    bad.push('stale signal not named');
  if (unknowns.length && !o.verdict.includes('Could not check:'))
    bad.push('unknown signal not named');
  // Reverts only on fresh evidence that Vast.ai is healthy.
  const vendorApi = input.vendorApi;
  if (
    ids.some(id => id === 'disable-fallback' || id === 'direct-mode') &&
    (vendorApi.state !== 'ok' || vendorApi.stale || input.metrics.stale)
  )
    bad.push('revert without fresh evidence');
  const sideWords: Record<string, string> = {
    vastai: "on Vast.ai's side",
    ours: 'on our side',
    unclear: 'side unclear',
  };
  if (sideWords[o.side] && !o.verdict.includes(sideWords[o.side]))
    bad.push(`verdict does not name the side ${o.side}`);
  const expectedSide: Record<string, string[]> = {
    'vendor-incident': ['vastai'],
    'our-integration': ['ours', 'unclear'],
    'our-infrastructure': ['ours'],
    'resolved-or-intermittent': ['none'],
    healthy: ['none'],
  };
  if (!expectedSide[o.branch].includes(o.side))
    bad.push(`side ${o.side} on branch ${o.branch}`);
  return bad;
}
