import '@testing-library/jest-dom';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { permissionApiAllowing, quietPanelApis } from '../../testing/apis';
import {
  annotatedEntity,
  mockVastaiApi,
  triageReport,
} from '../../testing/fixtures';
import { incidentTabPath, TriageSummaryCard } from './TriageSummaryCard';

async function renderCard(allow: boolean, name: string) {
  await renderInTestApp(
    <EntityProvider
      entity={{
        ...annotatedEntity,
        metadata: { ...annotatedEntity.metadata, name },
      }}
    >
      <TriageSummaryCard />
    </EntityProvider>,
    {
      initialRouteEntries: [`/catalog/default/component/${name}`],
      apis: [
        [
          vastaiIncidentApiRef,
          mockVastaiApi({
            getTriage: jest.fn(async () => triageReport('our-integration')),
          }),
        ],
        ...quietPanelApis,
        permissionApiAllowing(() => allow),
      ],
    },
  );
}

describe('TriageSummaryCard', () => {
  it('shows severity, verdict, only the first recommended action and a link into the tab', async () => {
    await renderCard(true, 'card-allowed');
    expect(await screen.findByTestId('vastai-card-severity')).toHaveTextContent(
      'P2',
    );
    expect(screen.getByTestId('vastai-card-verdict')).toHaveTextContent(
      triageReport('our-integration').verdict,
    );
    const list = screen.getByRole('list', { name: 'Recommended remediations' });
    const buttons = within(list).getAllByRole('button');
    expect(buttons).toHaveLength(1);
    expect(buttons[0]).toHaveTextContent('Rotate the Vast.ai API key');
    await waitFor(() => expect(buttons[0]).toBeEnabled());
    expect(
      screen.getByRole('link', { name: 'Open the Vast.ai incident tab' }),
    ).toHaveAttribute('href', expect.stringMatching(/\/vastai-incident$/));
  });

  it('gates the action by permission, with the reason', async () => {
    await renderCard(false, 'card-denied');
    const button = await screen.findByTestId(
      'vastai-card-button-rotate-api-key',
    );
    await waitFor(() =>
      expect(
        screen.getByTestId('vastai-card-denied-rotate-api-key'),
      ).toHaveTextContent(/vastai\.secret\.rotate/),
    );
    expect(button).toBeDisabled();
  });

  it('links into the tab from the Overview and stays put on the tab', () => {
    expect(incidentTabPath('/catalog/default/component/x/')).toBe(
      '/catalog/default/component/x/vastai-incident',
    );
    expect(
      incidentTabPath('/catalog/default/component/x/vastai-incident'),
    ).toBe('/catalog/default/component/x/vastai-incident');
  });
});
