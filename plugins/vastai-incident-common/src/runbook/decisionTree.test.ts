import {
  decisionEdge,
  DECISION_EDGES,
  DECISION_LEAF_ORDER,
  DECISION_LEAVES,
  DECISION_QUESTIONS,
  DECISION_ROOT,
  isDecisionLeaf,
  isDecisionQuestion,
} from './decisionTree';

describe('the runbook decision tree', () => {
  it('has a yes and a no edge from every question', () => {
    for (const q of Object.keys(DECISION_QUESTIONS)) {
      expect(isDecisionQuestion(q)).toBe(true);
      for (const answer of ['yes', 'no'] as const)
        expect(
          DECISION_EDGES.some(e => e.from === q && e.answer === answer),
        ).toBe(true);
    }
  });

  it('reaches every leaf from the root, and draws each leaf once', () => {
    const reached = new Set<string>();
    const walk = (node: string) => {
      reached.add(node);
      for (const e of DECISION_EDGES.filter(x => x.from === node)) walk(e.to);
    };
    walk(DECISION_ROOT);
    for (const leaf of Object.keys(DECISION_LEAVES)) {
      expect(isDecisionLeaf(leaf)).toBe(true);
      expect(reached.has(leaf)).toBe(true);
    }
    expect([...DECISION_LEAF_ORDER].sort()).toEqual(
      Object.keys(DECISION_LEAVES).sort(),
    );
  });

  it('walks the runbook: yes/yes vendor incident, no/no our infrastructure', () => {
    expect(decisionEdge('vendor-api-errors', 'yes')).toBe(
      'vendor-status-incident',
    );
    expect(decisionEdge('vendor-status-incident', 'yes')).toBe(
      'vendor-incident',
    );
    expect(decisionEdge('vendor-status-incident', 'no')).toBe(
      'our-integration',
    );
    expect(decisionEdge('vendor-api-errors', 'no')).toBe('service-healthy');
    expect(decisionEdge('service-healthy', 'yes')).toBe(
      'resolved-or-intermittent',
    );
    expect(decisionEdge('service-healthy', 'no')).toBe('our-infrastructure');
  });
});
