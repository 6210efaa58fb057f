import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import { Incident } from '@vastai-incident/backstage-plugin-common';
import { Entity } from '@backstage/catalog-model';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { clientApis } from '../../testing/apis';
import { annotatedEntity } from '../../testing/fixtures';
import { errorBody, fakeResponse } from '../../testing/responses';
import { VastaiIncidentsPage } from './VastaiIncidentsPage';

const minutes = (n: number) => n * 60_000;

function incident(overrides: Partial<Incident>): Incident {
  const declaredAt = new Date(Date.now() - minutes(30)).toISOString();
  return {
    id: 'inc-1',
    entityRef: 'component:default/vastai-integration',
    title: 'GPU pods failing',
    severity: 'P2',
    status: 'investigating',
    impact: 'Jobs fail',
    commander: 'user:default/jane',
    declaredBy: 'user:default/jane',
    declaredAt,
    updatedAt: declaredAt,
    responseDueAt: new Date(Date.now() + minutes(15)).toISOString(),
    overdue: false,
    ...overrides,
  };
}

/** Shows the page's query string so tests can see the filters kept in the URL. */
function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location-search">{location.search}</div>;
}

async function renderPage(
  answer: (url: URL) => Response | Promise<Response>,
  path = '/vastai-incidents',
  catalogEntities?: Entity[],
) {
  const requests: URL[] = [];
  const fetch = jest.fn(async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    requests.push(url);
    return answer(url);
  });
  await renderInTestApp(
    <TestApiProvider
      apis={[
        ...clientApis(fetch),
        ...(catalogEntities
          ? [
              [
                catalogApiRef,
                catalogApiMock({ entities: catalogEntities }),
              ] as const,
            ]
          : []),
      ]}
    >
      <VastaiIncidentsPage />
      <LocationProbe />
    </TestApiProvider>,
    { routeEntries: [path] },
  );
  return { requests };
}

const json = (body: unknown, status = 200) => fakeResponse(status, body);

describe('VastaiIncidentsPage', () => {
  it('lists open incidents with an entity link and the response target in words', async () => {
    const { requests } = await renderPage(() =>
      json({
        items: [
          incident({}),
          incident({
            id: 'inc-2',
            title: 'Billing API down',
            severity: 'P1',
            entityRef: 'system:payments/billing',
            commander: 'user:default/sam',
            responseDueAt: new Date(Date.now() - minutes(20)).toISOString(),
            overdue: true,
          }),
        ],
      }),
    );

    const first = (await screen.findByText('GPU pods failing')).closest('tr')!;
    expect(within(first).getByText('P2')).toBeInTheDocument();
    expect(within(first).getByText('investigating')).toBeInTheDocument();
    expect(within(first).getByText('user:default/jane')).toBeInTheDocument();
    expect(within(first).getByText(/^due in 1[45] min$/)).toBeInTheDocument();
    expect(
      within(first).getByRole('link', {
        name: 'component:default/vastai-integration',
      }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/vastai-integration/vastai-incident',
    );

    const second = screen.getByText('Billing API down').closest('tr')!;
    expect(
      within(second).getByRole('link', { name: 'system:payments/billing' }),
    ).toHaveAttribute(
      'href',
      '/catalog/payments/system/billing/vastai-incident',
    );
    expect(
      within(second).getByText(/^overdue by (19|20) min$/),
    ).toBeInTheDocument();

    // The default is "open": not resolved.
    expect(requests).toHaveLength(1);
    expect(requests[0].pathname).toBe('/api/vastai-incident/v1/incidents');
    expect(Object.fromEntries(requests[0].searchParams)).toEqual({
      open: 'true',
    });
  });

  it('keeps an incident whose entity left the catalog, marked, without a broken link', async () => {
    await renderPage(
      () =>
        json({
          items: [
            incident({}),
            incident({
              id: 'inc-2',
              title: 'Old worker failing',
              entityRef: 'component:default/retired-worker',
            }),
          ],
        }),
      '/vastai-incidents',
      [annotatedEntity],
    );
    const gone = (await screen.findByText('Old worker failing')).closest('tr')!;
    expect(
      await within(gone).findByTestId('vastai-incident-entity-missing'),
    ).toHaveTextContent(
      'component:default/retired-worker (no longer in the catalog)',
    );
    expect(within(gone).queryByRole('link')).not.toBeInTheDocument();
    const kept = screen.getByText('GPU pods failing').closest('tr')!;
    expect(
      within(kept).getByRole('link', {
        name: 'component:default/vastai-integration',
      }),
    ).toBeInTheDocument();
  });

  it('sends each filter to the backend and keeps it in the URL', async () => {
    const { requests } = await renderPage(url =>
      json({
        items: [
          incident({
            // Sorted: the client's parameter order is not part of the contract.
            title: `seen with ${
              [...url.searchParams]
                .map(([key, value]) => `${key}=${value}`)
                .sort()
                .join('&') || 'no filter'
            }`,
          }),
        ],
      }),
    );
    const user = userEvent.setup();
    await screen.findByText('seen with open=true');

    await user.selectOptions(
      screen.getByTestId('vastai-incidents-severity'),
      'P1',
    );
    expect(
      await screen.findByText('seen with open=true&severity=P1'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('location-search')).toHaveTextContent(
      '?severity=P1',
    );

    await user.selectOptions(
      screen.getByTestId('vastai-incidents-status'),
      'monitoring',
    );
    expect(
      await screen.findByText('seen with severity=P1&status=monitoring'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('location-search')).toHaveTextContent(
      '?status=monitoring&severity=P1',
    );

    await user.selectOptions(
      screen.getByTestId('vastai-incidents-status'),
      'all',
    );
    await user.selectOptions(
      screen.getByTestId('vastai-incidents-severity'),
      'all',
    );
    expect(await screen.findByText('seen with no filter')).toBeInTheDocument();
    expect(screen.getByTestId('location-search')).toHaveTextContent(
      /^\?status=all$/,
    );
    expect(requests.length).toBeGreaterThanOrEqual(4);
  });

  it('reads the filters from the URL it is opened with', async () => {
    const { requests } = await renderPage(
      () => json({ items: [] }),
      '/vastai-incidents?status=resolved&severity=P3',
    );
    expect(
      await screen.findByTestId('vastai-incidents-empty'),
    ).toHaveTextContent('No incidents match these filters.');
    expect(screen.getByTestId('vastai-incidents-status')).toHaveValue(
      'resolved',
    );
    expect(screen.getByTestId('vastai-incidents-severity')).toHaveValue('P3');
    expect(Object.fromEntries(requests[0].searchParams)).toEqual({
      status: 'resolved',
      severity: 'P3',
    });
  });

  it('shows the error when the backend fails', async () => {
    await renderPage(() => json(errorBody(503, 'database unavailable'), 503));
    await waitFor(() =>
      expect(document.body).toHaveTextContent(/database unavailable/),
    );
    expect(
      screen.queryByTestId('vastai-incidents-empty'),
    ).not.toBeInTheDocument();
  });
});
