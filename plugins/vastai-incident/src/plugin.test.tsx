import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import {
  EntityVastaiIncidentContent,
  EntityVastaiPodsCard,
  EntityVastaiVendorStatusCard,
  incidentsApiRef,
  isVastaiIncidentAvailable,
  remediationApiRef,
  vastaiIncidentApiRef,
  vastaiIncidentPlugin,
  VastaiIncidentsPage,
  incidentsPageRouteRef,
} from './index';
import {
  annotatedEntity,
  mockVastaiApi,
  plainEntity,
  triageReport,
} from './testing/fixtures';
import { clientApis } from './testing/apis';
import { fakeResponse } from './testing/responses';

describe('legacy (old frontend system) exports', () => {
  it('exports a legacy plugin with the same id', () => {
    expect(vastaiIncidentPlugin.getId()).toBe('vastai-incident');
  });

  it('registers every API of the plugin for the app', () => {
    expect([...vastaiIncidentPlugin.getApis()].map(f => f.api.id)).toEqual([
      vastaiIncidentApiRef.id,
      incidentsApiRef.id,
      remediationApiRef.id,
    ]);
  });

  it('exports the portal-wide incidents page as a routable extension', () => {
    expect(VastaiIncidentsPage).toBeDefined();
    expect(incidentsPageRouteRef).toBeDefined();
  });

  it('decides availability from the annotation', () => {
    expect(isVastaiIncidentAvailable(annotatedEntity)).toBe(true);
    expect(isVastaiIncidentAvailable(plainEntity)).toBe(false);
  });

  it('renders EntityVastaiIncidentContent and the cards in an old-system app', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => triageReport('vendor-incident')),
    });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [vastaiIncidentApiRef, api],
          // The remediation and incident panels' backend: no incident, no history yet.
          ...clientApis(async () =>
            fakeResponse(200, { items: [], entries: [] }),
          ),
          // An old-system app gets this from @backstage/app-defaults.
          [permissionApiRef, mockApis.permission()],
        ]}
      >
        <EntityProvider entity={annotatedEntity}>
          <Routes>
            {/* As under <EntityLayout.Route path="/vastai-incident"> */}
            <Route
              path="/vastai-incident"
              element={<EntityVastaiIncidentContent />}
            />
          </Routes>
          <EntityVastaiVendorStatusCard />
          <EntityVastaiPodsCard />
        </EntityProvider>
      </TestApiProvider>,
      { routeEntries: ['/vastai-incident'] },
    );
    expect(await screen.findByTestId('vastai-severity')).toHaveTextContent(
      'P1',
    );
    expect(await screen.findByText('Vast.ai status')).toBeInTheDocument();
    // The pods card and the tab's pods section.
    await waitFor(() =>
      expect(screen.getAllByText('1 of 2 ready')).toHaveLength(2),
    );
  });
});
