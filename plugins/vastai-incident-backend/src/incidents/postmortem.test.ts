import type {
  Incident,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import {
  errorTypeOf,
  FailedRequests,
  postmortemMarkdown,
  TO_FILL_IN,
} from './postmortem';

function incident(more: Partial<Incident> = {}): Incident {
  return {
    id: 'i-1',
    entityRef: 'component:default/vastai-integration',
    integration: 'vastai-integration',
    title: 'Vast.ai API returns 401',
    severity: 'P1',
    status: 'resolved',
    impact: 'Nobody can rent a GPU',
    commander: 'user:default/ada',
    declaredBy: 'user:default/ada',
    declaredAt: '2026-12-04T10:00:00.000Z',
    updatedAt: '2026-12-04T11:35:00.000Z',
    resolvedAt: '2026-12-04T11:35:00.000Z',
    responseDueAt: '2026-12-04T10:15:00.000Z',
    overdue: false,
    ...more,
  };
}

const TIMELINE: TimelineEvent[] = [
  {
    id: 1,
    incidentId: 'i-1',
    at: '2026-12-04T10:00:00.000Z',
    kind: 'declared',
    actor: 'user:default/ada',
    summary: 'Incident declared: Vast.ai API returns 401 (P1)',
  },
  {
    id: 2,
    incidentId: 'i-1',
    at: '2026-12-04T10:20:00.000Z',
    kind: 'action',
    actor: 'user:default/ada',
    summary: 'Action rotate-api-key succeeded',
  },
];

const MEASURED: FailedRequests = {
  total: 1300,
  byClass: { auth_error: 1200, timeout: 100 },
};
const UNMEASURED: FailedRequests = {
  total: null,
  byClass: {},
  reason: 'Prometheus had no data for the window',
};

const draft = (failed: FailedRequests, more: Partial<Incident> = {}) =>
  postmortemMarkdown({
    incident: incident(more),
    timeline: TIMELINE,
    failed,
    now: Date.parse('2026-12-05T09:00:00Z'),
  });

describe("the runbook's postmortem template", () => {
  it('titles it "Incident: Vast.ai <error type>", then Date, Duration, Severity, then the sections in order', () => {
    const lines = draft(MEASURED).split('\n');
    expect(lines[0]).toBe(
      '# Incident: Vast.ai authentication failures (401/403)',
    );
    const order = [
      '- **Date:** 2026-12-04',
      '- **Duration:** 1 h 35 min',
      '- **Severity:** P1 (Complete outage)',
      '## Summary',
      '## Timeline',
      '## Root Cause',
      '## Impact',
      '- **Users affected:**',
      '- **Revenue impact:**',
      '## Action Items',
      '| Action | Owner | Due date |',
    ];
    const positions = order.map(start =>
      lines.findIndex(line => line.startsWith(start)),
    );
    expect(positions.every(p => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Every section once, and no other top-level sections.
    expect(lines.filter(l => l.startsWith('## '))).toEqual([
      '## Summary',
      '## Timeline',
      '## Root Cause',
      '## Impact',
      '## Action Items',
    ]);
  });

  it('fills what the product knows: the timeline, the stated impact and the measured failures', () => {
    const markdown = draft(MEASURED);
    expect(markdown).toContain(
      '| 2026-12-04 10:20:00 | Action rotate-api-key succeeded | user:default/ada |',
    );
    expect(markdown).toContain(
      'Vast.ai API returns 401. Nobody can rent a GPU',
    );
    expect(markdown).toContain(
      '- Failed requests to Vast.ai in the window: about 1300 (from Prometheus: auth_error 1200, timeout 100).',
    );
    expect(markdown).toContain('- Stated impact: Nobody can rent a GPU');
  });

  it('marks what only people know as to fill in: users, revenue, root cause, action items', () => {
    const markdown = draft(MEASURED);
    expect(markdown).toContain(`- **Users affected:** ${TO_FILL_IN}`);
    expect(markdown).toContain(`- **Revenue impact:** ${TO_FILL_IN}`);
    const section = (name: string) =>
      markdown.split(`## ${name}\n`)[1].split('\n## ')[0];
    expect(section('Root Cause')).toContain(TO_FILL_IN);
    expect(section('Action Items')).toContain(
      `| ${TO_FILL_IN} | ${TO_FILL_IN} | ${TO_FILL_IN} |`,
    );
  });

  it('says the failures are unknown without metrics, and titles by the incident then', () => {
    const markdown = draft(UNMEASURED);
    expect(markdown.split('\n')[0]).toBe('# Incident: Vast.ai API returns 401');
    expect(markdown).toContain(
      'Failed requests to Vast.ai in the window: unknown (Prometheus had no data for the window).',
    );
    expect(errorTypeOf(incident({ title: 'Auth failing' }), UNMEASURED)).toBe(
      'Auth failing',
    );
  });

  it('counts an open incident to now and says it is still open', () => {
    const markdown = draft(MEASURED, {
      status: 'monitoring',
      resolvedAt: undefined,
    });
    expect(markdown).toContain('- **Duration:** 23 h 0 min (still open)');
  });

  it('keeps a hostile error class label on one heading line', () => {
    const markdown = draft({
      total: 5,
      byClass: { 'weird\n## Injected': 5 },
    });
    expect(markdown.split('\n')[0]).toBe(
      '# Incident: Vast.ai weird ## Injected',
    );
    expect(
      markdown.split('\n').filter(l => l.startsWith('## Injected')),
    ).toEqual([]);
  });
});
