import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import {
  EntityVastaiIncidentContent,
  EntityVastaiPodsCard,
  EntityVastaiVendorStatusCard,
  isVastaiIncidentAvailable,
  vastaiIncidentApiRef,
  vastaiIncidentPlugin,
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

  it('decides availability from the annotation', () => {
    expect(isVastaiIncidentAvailable(annotatedEntity)).toBe(true);
    expect(isVastaiIncidentAvailable(plainEntity)).toBe(false);
  });

  it('renders EntityVastaiIncidentContent and the cards in an old-system app', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => triageReport('vendor-incident')),
    });
    await renderInTestApp(
      <TestApiProvider apis={[[vastaiIncidentApiRef, api]]}>
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
    expect(await screen.findByText('1 of 2 ready')).toBeInTheDocument();
  });
});
