import { EntityProvider } from '@backstage/plugin-catalog-react';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
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
  isVastaiIncidentAvailable,
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

describe('legacy (old frontend system) exports', () => {
  it('exports a legacy plugin with the same id', () => {
    expect(vastaiIncidentPlugin.getId()).toBe('vastai-incident');
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
          // The remediation and incident panels call the backend themselves: no history yet.
          [discoveryApiRef, mockApis.discovery()],
          // An old-system app gets this from @backstage/app-defaults.
          [permissionApiRef, mockApis.permission()],
          [
            fetchApiRef,
            {
              fetch: async () =>
                new Response(JSON.stringify({ items: [], entries: [] }), {
                  status: 200,
                  headers: { 'content-type': 'application/json' },
                }),
            },
          ],
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
