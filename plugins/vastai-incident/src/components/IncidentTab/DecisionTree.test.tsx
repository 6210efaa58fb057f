import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import { DecisionStep } from '@vastai-incident/backstage-plugin-common';
import { triageReport } from '../../testing/fixtures';
import { DecisionTree } from './DecisionTree';
import { litPath } from './litPath';

const QUESTION_IDS = [
  'vendor-api-errors',
  'vendor-status-incident',
  'service-healthy',
];
const LEAF_IDS = [
  'vendor-incident',
  'our-integration',
  'resolved-or-intermittent',
  'healthy',
  'our-infrastructure',
];

const node = (id: string) => screen.getByTestId(`vastai-tree-node-${id}`);
const leaf = (id: string) => screen.getByTestId(`vastai-tree-leaf-${id}`);
const edge = (from: string, to: string) =>
  screen.getByTestId(`vastai-tree-edge-${from}-${to}`);

/** Which nodes and edges the drawing marks as taken. */
function drawnPath() {
  return {
    questions: QUESTION_IDS.filter(
      id => node(id).getAttribute('data-on-path') === 'true',
    ),
    leaves: LEAF_IDS.filter(
      id => leaf(id).getAttribute('aria-current') === 'step',
    ),
    edges: screen
      .getAllByTestId(/^vastai-tree-edge-/)
      .filter(e => e.getAttribute('data-taken') === 'true')
      .map(e =>
        e.getAttribute('data-testid')!.replace('vastai-tree-edge-', ''),
      ),
  };
}

describe('DecisionTree', () => {
  it('draws all three questions and all five outcomes, whatever the path', async () => {
    await renderInTestApp(<DecisionTree path={[]} branch={undefined} />);
    for (const id of QUESTION_IDS) expect(node(id)).toBeInTheDocument();
    for (const id of LEAF_IDS) expect(leaf(id)).toBeInTheDocument();
    expect(
      screen.getByText('Is the Vast.ai API returning errors?'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Check pods, memory, network.'),
    ).toBeInTheDocument();
    expect(drawnPath()).toEqual({ questions: [], leaves: [], edges: [] });
    expect(
      screen.getByText('The backend did not report a decision path.'),
    ).toBeInTheDocument();
  });

  it.each([
    [
      'vendor-incident',
      ['vendor-api-errors', 'vendor-status-incident'],
      [
        'vendor-api-errors-vendor-status-incident',
        'vendor-status-incident-vendor-incident',
      ],
    ],
    [
      'our-integration',
      ['vendor-api-errors', 'vendor-status-incident'],
      [
        'vendor-api-errors-vendor-status-incident',
        'vendor-status-incident-our-integration',
      ],
    ],
    [
      'our-infrastructure',
      ['vendor-api-errors', 'service-healthy'],
      [
        'vendor-api-errors-service-healthy',
        'service-healthy-our-infrastructure',
      ],
    ],
    [
      'healthy',
      ['vendor-api-errors', 'service-healthy'],
      ['vendor-api-errors-service-healthy', 'service-healthy-healthy'],
    ],
  ])('lights the path to %s', async (branch, questions, edges) => {
    const report = triageReport(branch);
    await renderInTestApp(
      <DecisionTree path={report.path} branch={report.branch} />,
    );
    expect(drawnPath()).toEqual({ questions, leaves: [branch], edges });
    expect(screen.getByTestId('vastai-decision-tree')).toHaveAttribute(
      'data-branch',
      branch,
    );
    expect(
      within(leaf(branch)).getByText('▶ Triage ended here'),
    ).toBeInTheDocument();
    // Each decision carries the evidence that decided it.
    for (const step of report.path) {
      expect(
        within(node(step.question)).getByText(`Evidence: ${step.evidence}`),
      ).toBeInTheDocument();
    }
  });

  it('lights resolved-or-intermittent from a "no errors" path that reached it', async () => {
    const path: DecisionStep[] = [
      {
        question: 'vendor-api-errors',
        answer: 'no',
        evidence: 'error ratio 0 % in 5 min',
        leadsTo: 'service-healthy',
      },
      {
        question: 'service-healthy',
        answer: 'yes',
        evidence: 'health: healthy; 2 of 2 pods ready',
        leadsTo: 'resolved-or-intermittent',
      },
    ];
    await renderInTestApp(
      <DecisionTree path={path} branch="resolved-or-intermittent" />,
    );
    expect(drawnPath()).toEqual({
      questions: ['vendor-api-errors', 'service-healthy'],
      leaves: ['resolved-or-intermittent'],
      edges: [
        'vendor-api-errors-service-healthy',
        'service-healthy-resolved-or-intermittent',
      ],
    });
  });

  it('draws an unknown answer in words and pattern, following leadsTo', async () => {
    const report = triageReport('our-infrastructure');
    await renderInTestApp(
      <DecisionTree path={report.path} branch={report.branch} />,
    );
    const root = node('vendor-api-errors');
    expect(root).toHaveAttribute('data-answer', 'unknown');
    expect(
      within(root).getByText('Unknown (could not tell)'),
    ).toBeInTheDocument();
    expect(root).toHaveTextContent('went “no” on other evidence');
    expect(root.getAttribute('aria-label')).toMatch(/answer: Unknown/);
    expect(edge('vendor-api-errors', 'service-healthy')).toHaveTextContent(
      'unknown → no',
    );
    // Known answers are not drawn as unknown.
    expect(node('service-healthy')).toHaveAttribute('data-answer', 'no');
    expect(edge('service-healthy', 'our-infrastructure')).toHaveTextContent(
      '✓ no',
    );
  });

  it('an unknown answer goes where leadsTo says, even "yes"', () => {
    const lit = litPath(
      [
        { question: 'vendor-api-errors', answer: 'yes', evidence: '503' },
        {
          question: 'vendor-status-incident',
          answer: 'unknown',
          evidence: 'status page unreadable; probe: 503',
          leadsTo: 'vendor-incident',
        },
      ],
      'vendor-incident',
    );
    expect([...lit.edges]).toEqual([
      'vendor-api-errors>vendor-status-incident',
      'vendor-status-incident>vendor-incident',
    ]);
  });

  it('survives a partial path: unknown questions are listed, not drawn', async () => {
    const path = [
      null,
      {},
      { question: 'something-new', answer: 'maybe', evidence: 'e' },
      { question: 'vendor-api-errors', answer: 'yes' },
    ] as unknown as DecisionStep[];
    await renderInTestApp(<DecisionTree path={path} branch="nonsense" />);
    expect(drawnPath()).toEqual({
      questions: ['vendor-api-errors', 'vendor-status-incident'],
      leaves: [],
      edges: ['vendor-api-errors-vendor-status-incident'],
    });
    expect(screen.getByText(/something-new/)).toBeInTheDocument();
  });

  it('names every node for assistive technology', async () => {
    const report = triageReport('vendor-incident');
    await renderInTestApp(
      <DecisionTree path={report.path} branch={report.branch} />,
    );
    expect(
      screen.getByRole('group', { name: 'Runbook decision tree' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('group', {
        name: /^Question: Does the Vast.ai status page show an incident\?; on the path taken; answer: Yes; evidence: Major outage on API$/,
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('group', {
        name: /^Outcome: Vast.ai incident\..*This is where the triage ended\.$/,
      }),
    ).toHaveAttribute('aria-current', 'step');
    expect(
      screen.getByRole('group', {
        name: /^Outcome: Healthy\. Nothing to do\.$/,
      }),
    ).not.toHaveAttribute('aria-current');
  });

  it('shows the readings behind each decision on the lit path: age, latency, unreachable', async () => {
    const path: DecisionStep[] = [
      {
        question: 'vendor-api-errors',
        answer: 'yes',
        evidence: 'Vast.ai API: no answer to 100% of our calls',
        leadsTo: 'vendor-status-incident',
        readings: [
          {
            source: 'vendor-api',
            text: 'Vast.ai unreachable (connection reset before any answer)',
            ageSeconds: 2,
            stale: false,
            latencyMs: 3,
            unreachable: true,
          },
          {
            source: 'metrics',
            text: 'errors on 100% of our calls; network_error',
            ageSeconds: 1,
            stale: false,
          },
        ],
      },
      {
        question: 'vendor-status-incident',
        answer: 'unknown',
        evidence: 'status page: all systems operational',
        leadsTo: 'vendor-incident',
        readings: [
          {
            source: 'vendor-status',
            text: 'all systems operational',
            ageSeconds: 300,
            stale: true,
          },
          {
            source: 'vendor-api',
            text: 'Vast.ai answers slowly (1.8 s, usually 8 ms)',
            ageSeconds: 4,
            stale: false,
            latencyMs: 1800,
            baselineLatencyMs: 8,
          },
        ],
      },
    ];
    await renderInTestApp(
      <DecisionTree path={path} branch="vendor-incident" />,
    );
    const probe = screen.getByTestId(
      'vastai-tree-reading-vendor-api-errors-vendor-api',
    );
    expect(probe).toHaveTextContent(
      'Our probe: Vast.ai unreachable (connection reset before any answer)2 s agounreachable',
    );
    const status = screen.getByTestId(
      'vastai-tree-reading-vendor-status-incident-vendor-status',
    );
    expect(status).toHaveAttribute('data-stale', 'true');
    expect(status).toHaveTextContent('stale, read 5 min ago');
    expect(
      screen.getByTestId(
        'vastai-tree-reading-vendor-status-incident-vendor-api',
      ),
    ).toHaveTextContent('1.8 s, usually 8 ms');
    expect(node('vendor-api-errors').getAttribute('aria-label')).toContain(
      'readings: Vast.ai unreachable (connection reset before any answer) (2 s ago, unreachable)',
    );
  });

  it('does not draw readings off the lit path', async () => {
    const lit = litPath(
      [
        {
          question: 'vendor-api-errors',
          answer: 'no',
          evidence: 'no errors',
          leadsTo: 'service-healthy',
        },
      ],
      'healthy',
    );
    expect(lit.nodes.has('vendor-status-incident')).toBe(false);
    await renderInTestApp(
      <DecisionTree
        path={[
          {
            question: 'vendor-api-errors',
            answer: 'no',
            evidence: 'no errors',
            leadsTo: 'service-healthy',
            readings: [
              {
                source: 'metrics',
                text: 'no errors',
                ageSeconds: 1,
                stale: false,
              },
            ],
          },
          {
            question: 'vendor-status-incident',
            answer: 'no',
            evidence: 'a step off the path',
            readings: [
              {
                source: 'vendor-status',
                text: 'operational',
                ageSeconds: 1,
                stale: false,
              },
            ],
          },
        ]}
        branch="healthy"
      />,
    );
    expect(
      screen.getByTestId('vastai-tree-reading-vendor-api-errors-metrics'),
    ).toBeInTheDocument();
    expect(
      screen.queryByTestId(
        'vastai-tree-reading-vendor-status-incident-vendor-status',
      ),
    ).toBeNull();
  });
});
