import {
  Branch,
  DECISION_EDGES,
  DECISION_ROOT,
  DecisionNode,
  DecisionQuestion,
  DecisionStep,
  isDecisionLeaf,
  isDecisionQuestion,
} from '@vastai-incident/backstage-plugin-common';

/*
 * Which part of the runbook's tree (the model is in the common package) a triage report lit.
 * The backend turns "resolved" with nothing to note into `healthy`, a fifth leaf under the same "yes".
 */

/**
 * Which way a step went: its `leadsTo`; else what its yes/no answer implies;
 * else (an unknown answer from an older backend) the child that the rest of
 * the path or the branch shows was visited.
 */
function destination(
  step: DecisionStep,
  branch: string | undefined,
  asked: Set<string>,
): DecisionNode | undefined {
  if (isDecisionQuestion(step.leadsTo) || isDecisionLeaf(step.leadsTo))
    return step.leadsTo;
  if (step.answer !== 'yes' && step.answer !== 'no') {
    return DECISION_EDGES.find(
      e => e.from === step.question && (asked.has(e.to) || e.to === branch),
    )?.to;
  }
  const candidates = DECISION_EDGES.filter(
    e => e.from === step.question && e.answer === step.answer,
  );
  // Two leaves under one answer: the report's branch says which.
  return (candidates.find(e => e.to === branch) ?? candidates[0])?.to;
}

export interface LitTree {
  /** Nodes on the path taken, root to leaf. */
  nodes: Set<DecisionNode>;
  /** Edges taken, as `from>to`. */
  edges: Set<string>;
  /** The decision at each question on the path. */
  steps: Map<DecisionQuestion, DecisionStep>;
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
  const steps = new Map<DecisionQuestion, DecisionStep>();
  for (const step of Array.isArray(path) ? path : []) {
    if (
      step &&
      isDecisionQuestion(step.question) &&
      !steps.has(step.question)
    ) {
      steps.set(step.question, step);
    }
  }
  const nodes = new Set<DecisionNode>();
  const edges = new Set<string>();
  const leaf = isDecisionLeaf(branch) ? branch : undefined;

  // Walk from the root along the reported decisions.
  let at: DecisionNode | undefined = steps.size > 0 ? DECISION_ROOT : undefined;
  const asked = new Set<string>(steps.keys());
  const connects = (from: DecisionNode, to: DecisionNode) =>
    DECISION_EDGES.some(e => e.from === from && e.to === to);
  while (at && isDecisionQuestion(at)) {
    nodes.add(at);
    const step = steps.get(at);
    if (!step) break;
    const next = destination(step, branch, asked);
    if (!next || !connects(at, next)) break;
    edges.add(edgeKey(at, next));
    at = next;
  }
  if (at && isDecisionLeaf(at)) nodes.add(at);
  if (leaf) nodes.add(leaf);
  return { nodes, edges, steps, leaf };
}
