import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { quietPanelApis } from '../../testing/apis';
import { annotatedEntity, mockVastaiApi } from '../../testing/fixtures';
import { LogsSection } from './LogsSection';

let entityCount = 0;

/** usePermission caches decisions per (permission, resourceRef): each test has its own entity. */
async function renderLogs(decision: 'ALLOW' | 'DENY') {
  entityCount += 1;
  const entity = {
    ...annotatedEntity,
    metadata: { ...annotatedEntity.metadata, name: `logs-${entityCount}` },
  };
  const api = mockVastaiApi();
  const authorize = jest.fn((request: any) =>
    request.permission.name === 'vastai.incident.logs.read'
      ? decision
      : 'ALLOW',
  );
  await renderInTestApp(
    <EntityProvider entity={entity}>
      <LogsSection intervalMs={0} />
    </EntityProvider>,
    {
      apis: [
        [vastaiIncidentApiRef, api],
        ...quietPanelApis,
        mockApis.permission({ authorize }),
      ],
    },
  );
  return { api, authorize };
}

describe('LogsSection', () => {
  it('says why the logs are not shown when the logs permission is denied, and never asks for them', async () => {
    const { api, authorize } = await renderLogs('DENY');
    expect(
      await screen.findByText(
        'Not allowed: you need the vastai.incident.logs.read permission on this entity (its owners have it).',
      ),
    ).toBeInTheDocument();
    expect(authorize).toHaveBeenCalledWith(
      expect.objectContaining({
        resourceRef: `component:default/logs-${entityCount}`,
      }),
    );
    expect(api.getLogs).not.toHaveBeenCalled();
    expect(screen.queryByTestId('vastai-logs')).not.toBeInTheDocument();
  });

  it('shows the lines when the logs permission is allowed', async () => {
    const { api } = await renderLogs('ALLOW');
    expect(await screen.findByTestId('vastai-logs')).toBeInTheDocument();
    expect(api.getLogs).toHaveBeenCalled();
  });
});
