import type { Branch } from '../types';

/*
 * The runbook's decision tree, the one model the backend walks and the frontend draws:
 *   Is the Vast.ai API returning errors?
 *     yes: does the status page show an incident?  yes -> vendor-incident, no -> our-integration
 *     no:  is our service healthy?                 yes -> resolved-or-intermittent, no -> our-infrastructure
 * "Resolved" with nothing at all to note is reported as `healthy`: a fifth leaf under the same "yes".
 */

/** The runbook's questions, in the order the tree asks them. */
export type DecisionQuestion =
  | 'vendor-api-errors'
  | 'vendor-status-incident'
  | 'service-healthy';

export type DecisionNode = DecisionQuestion | Branch;

export interface DecisionEdge {
  from: DecisionQuestion;
  to: DecisionNode;
  /** The answer that takes this edge. */
  answer: 'yes' | 'no';
  /** A qualifier when one answer has two leaves (resolved vs healthy). */
  note?: string;
}

export const DECISION_ROOT: DecisionQuestion = 'vendor-api-errors';

export const DECISION_QUESTIONS: Record<DecisionQuestion, string> = {
  'vendor-api-errors': 'Is the Vast.ai API returning errors?',
  'vendor-status-incident': 'Does the Vast.ai status page show an incident?',
  'service-healthy': 'Is our integration service healthy?',
};

export const DECISION_LEAVES: Record<
  Branch,
  { title: string; advice: string }
> = {
  'vendor-incident': {
    title: 'Vast.ai incident',
    advice: 'Wait for Vast.ai; enable our fallback.',
  },
  'our-integration': {
    title: 'Our integration',
    advice: 'Check credentials and config.',
  },
  'resolved-or-intermittent': {
    title: 'Resolved or intermittent',
    advice: 'Monitor.',
  },
  healthy: { title: 'Healthy', advice: 'Nothing to do.' },
  'our-infrastructure': {
    title: 'Our infrastructure',
    advice: 'Check pods, memory, network.',
  },
};

/** Every edge; where one answer has two leaves, the one the walk takes comes first. */
export const DECISION_EDGES: readonly DecisionEdge[] = [
  { from: 'vendor-api-errors', to: 'vendor-status-incident', answer: 'yes' },
  { from: 'vendor-api-errors', to: 'service-healthy', answer: 'no' },
  { from: 'vendor-status-incident', to: 'vendor-incident', answer: 'yes' },
  { from: 'vendor-status-incident', to: 'our-integration', answer: 'no' },
  {
    from: 'service-healthy',
    to: 'resolved-or-intermittent',
    answer: 'yes',
    note: 'errors earlier',
  },
  {
    from: 'service-healthy',
    to: 'healthy',
    answer: 'yes',
    note: 'nothing to note',
  },
  { from: 'service-healthy', to: 'our-infrastructure', answer: 'no' },
];

/** Leaves from left to right, as drawn. */
export const DECISION_LEAF_ORDER: readonly Branch[] = [
  'vendor-incident',
  'our-integration',
  'resolved-or-intermittent',
  'healthy',
  'our-infrastructure',
];

export function isDecisionQuestion(id: unknown): id is DecisionQuestion {
  return typeof id === 'string' && id in DECISION_QUESTIONS;
}

export function isDecisionLeaf(id: unknown): id is Branch {
  return typeof id === 'string' && id in DECISION_LEAVES;
}

/** Where an answer to a question leads when walking the tree (the first edge of that answer). */
export function decisionEdge(
  question: DecisionQuestion,
  answer: 'yes' | 'no',
): DecisionNode {
  const edge = DECISION_EDGES.find(
    e => e.from === question && e.answer === answer,
  );
  if (!edge) throw new Error(`no "${answer}" edge from ${question}`);
  return edge.to;
}
