import { Branch, DecisionStep } from '@internal/plugin-vastai-incident-common';

/*
 * The runbook's decision tree, mirrored from the backend's `DECISION_TREE`
 * (plugins/vastai-incident-backend/src/triage/decisionTree.ts):
 *   Is the Vast.ai API returning errors?
 *     yes: does the status page show an incident?  yes -> vendor-incident, no -> our-integration
 *     no:  is our service healthy?                 yes -> resolved-or-intermittent, no -> our-infrastructure
 * The backend turns "resolved" with nothing to note into `healthy`, so the tab
 * draws that as a fifth leaf under the same "yes".
 */
export type QuestionId =
  | 'vendor-api-errors'
  | 'vendor-status-incident'
  | 'service-healthy';

export type TreeNodeId = QuestionId | Branch;

export interface TreeEdge {
  from: QuestionId;
  to: TreeNodeId;
  /** The answer that takes this edge. */
  answer: 'yes' | 'no';
  /** A qualifier when one answer has two leaves (resolved vs healthy). */
  note?: string;
}

export const QUESTIONS: Record<QuestionId, string> = {
  'vendor-api-errors': 'Is the Vast.ai API returning errors?',
  'vendor-status-incident': 'Does the Vast.ai status page show an incident?',
  'service-healthy': 'Is our integration service healthy?',
};

export const LEAVES: Record<Branch, { title: string; advice: string }> = {
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

export const ROOT: QuestionId = 'vendor-api-errors';

export const EDGES: TreeEdge[] = [
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
export const LEAF_ORDER: Branch[] = [
  'vendor-incident',
  'our-integration',
  'resolved-or-intermittent',
  'healthy',
  'our-infrastructure',
];

function isQuestion(id: unknown): id is QuestionId {
  return typeof id === 'string' && id in QUESTIONS;
}

function isLeaf(id: unknown): id is Branch {
  return typeof id === 'string' && id in LEAVES;
}

/**
 * Which way a step went: its `leadsTo`; else what its yes/no answer implies;
 * else (an unknown answer from an older backend) the child that the rest of
 * the path or the branch shows was visited.
 */
function destination(
  step: DecisionStep,
  branch: string | undefined,
  asked: Set<string>,
): TreeNodeId | undefined {
  if (isQuestion(step.leadsTo) || isLeaf(step.leadsTo)) return step.leadsTo;
  if (step.answer !== 'yes' && step.answer !== 'no') {
    return EDGES.find(
      e => e.from === step.question && (asked.has(e.to) || e.to === branch),
    )?.to;
  }
  const candidates = EDGES.filter(
    e => e.from === step.question && e.answer === step.answer,
  );
  // Two leaves under one answer: the report's branch says which.
  return (candidates.find(e => e.to === branch) ?? candidates[0])?.to;
}

export interface LitTree {
  /** Nodes on the path taken, root to leaf. */
  nodes: Set<TreeNodeId>;
  /** Edges taken, as `from>to`. */
  edges: Set<string>;
  /** The decision at each question on the path. */
  steps: Map<QuestionId, DecisionStep>;
  /** The leaf reached, if the report names one the tree knows. */
  leaf?: Branch;
}

export const edgeKey = (from: string, to: string) => `${from}>${to}`;

/**
 * The path of a (possibly partial) report through the tree. Steps about
 * questions the tree does not know, or that do not connect, are ignored rather
 * than drawn somewhere wrong.
 */
export function litPath(
  path: DecisionStep[] | undefined,
  branch: string | undefined,
): LitTree {
  const steps = new Map<QuestionId, DecisionStep>();
  for (const step of Array.isArray(path) ? path : []) {
    if (step && isQuestion(step.question) && !steps.has(step.question)) {
      steps.set(step.question, step);
    }
  }
  const nodes = new Set<TreeNodeId>();
  const edges = new Set<string>();
  const leaf = isLeaf(branch) ? branch : undefined;

  // Walk from the root along the reported decisions.
  let at: TreeNodeId | undefined = steps.size > 0 ? ROOT : undefined;
  const asked = new Set<string>(steps.keys());
  const connects = (from: TreeNodeId, to: TreeNodeId) =>
    EDGES.some(e => e.from === from && e.to === to);
  while (at && isQuestion(at)) {
    nodes.add(at);
    const step = steps.get(at);
    if (!step) break;
    const next = destination(step, branch, asked);
    if (!next || !connects(at, next)) break;
    edges.add(edgeKey(at, next));
    at = next;
  }
  if (at && isLeaf(at)) nodes.add(at);
  if (leaf) nodes.add(leaf);
  return { nodes, edges, steps, leaf };
}
