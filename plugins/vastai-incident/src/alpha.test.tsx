import { renderTestApp } from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { screen, waitFor } from '@testing-library/react';
import plugin, { vastaiIncidentApiRef } from './alpha';
import packageDefault from './index';
import {
  annotatedEntity,
  mockVastaiApi,
  plainEntity,
  triageReport,
} from './testing/fixtures';

describe('new frontend system plugin', () => {
  it('is the default export of the package and of /alpha', () => {
    expect(packageDefault).toBe(plugin);
    expect(plugin.pluginId ?? (plugin as any).id).toBe('vastai-incident');
  });

  it('provides the APIs, the tab, the five cards and the incidents page', () => {
    for (const id of [
      'api:vastai-incident',
      'api:vastai-incident/incidents',
      'api:vastai-incident/remediation',
      'page:vastai-incident',
      'entity-content:vastai-incident',
      'entity-card:vastai-incident/triage-summary',
      'entity-card:vastai-incident/vendor-status',
      'entity-card:vastai-incident/integration-health',
      'entity-card:vastai-incident/error-rate',
      'entity-card:vastai-incident/pods',
    ]) {
      expect(plugin.getExtension(id as any)).toBeDefined();
    }
  });

  it('shows the tab and the cards on an annotated entity', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => triageReport('our-integration')),
    });
    renderTestApp({
      features: [plugin],
      extensions: [createTestEntityPage({ entity: annotatedEntity })],
      apis: [[vastaiIncidentApiRef, api]],
    });
    // First render transpiles and loads each lazy chunk: allow it time.
    expect(
      await screen.findByTestId('vastai-severity', {}, { timeout: 15_000 }),
    ).toHaveTextContent('P2');
    expect(await screen.findByText('Vast.ai status')).toBeInTheDocument();
    expect(await screen.findByTestId('vastai-card-severity')).toHaveTextContent(
      'P2',
    );
    expect(await screen.findByText('Integration health')).toBeInTheDocument();
    expect(await screen.findByText('Error rate')).toBeInTheDocument();
    // The card and the tab's own pods section (besides the tab's jump link to it).
    await waitFor(() =>
      expect(
        screen.getAllByText('Pods').filter(e => e.tagName !== 'A'),
      ).toHaveLength(2),
    );
  });

  it('shows neither tab nor cards on an entity without the annotation', async () => {
    const api = mockVastaiApi();
    renderTestApp({
      features: [plugin],
      extensions: [createTestEntityPage({ entity: plainEntity })],
      apis: [[vastaiIncidentApiRef, api]],
    });
    expect(await screen.findByTestId('empty-entity-page')).toBeInTheDocument();
    expect(screen.queryByTestId('vastai-severity')).not.toBeInTheDocument();
    expect(api.getTriage).not.toHaveBeenCalled();
  });
});
