import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { IncidentDetail } from '@vastai-incident/backstage-plugin-common';
import { screen } from '@testing-library/react';
import { IncidentsApi, incidentsApiRef } from '../../api/IncidentsApi';
import { EvidenceSection } from './EvidenceSection';

let entityCount = 0;

/** An incident of an entity of its own (usePermission caches decisions per resource). */
function incident(): IncidentDetail {
  entityCount += 1;
  return {
    id: '00000000-0000-4000-8000-000000000001',
    entityRef: `component:default/evidence-${entityCount}`,
    title: 'Vast.ai 503s',
    severity: 'P2',
    status: 'investigating',
    impact: 'Offers stale',
    commander: 'user:default/jane',
    declaredBy: 'user:default/jane',
    declaredAt: '2026-11-28T22:00:00Z',
    updatedAt: '2026-11-28T22:00:00Z',
    responseDueAt: '2026-11-28T22:15:00Z',
    overdue: false,
    timeline: [],
    messages: [],
    evidence: [],
  };
}

async function renderEvidence(decision: 'ALLOW' | 'DENY') {
  const api = { startEvidence: jest.fn() } as Partial<IncidentsApi>;
  await renderInTestApp(
    <EvidenceSection
      incident={incident()}
      build={{ allowed: true }}
      onChanged={async () => undefined}
    />,
    {
      apis: [
        [incidentsApiRef, api],
        mockApis.permission({
          authorize: (request: any) =>
            request.permission.name === 'vastai.incident.logs.read'
              ? decision
              : 'ALLOW',
        }),
      ],
    },
  );
  return api;
}

describe('EvidenceSection', () => {
  it('says why evidence is not offered when the logs permission is denied, with no button to fail', async () => {
    await renderEvidence('DENY');
    expect(
      await screen.findByText(
        'Not allowed: you need the vastai.incident.logs.read permission on this entity (its owners have it).',
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /evidence bundle/i }),
    ).not.toBeInTheDocument();
  });

  it('offers to build a bundle when the logs permission is allowed', async () => {
    await renderEvidence('ALLOW');
    expect(
      await screen.findByRole('button', { name: 'Build evidence bundle' }),
    ).toBeEnabled();
  });
});
