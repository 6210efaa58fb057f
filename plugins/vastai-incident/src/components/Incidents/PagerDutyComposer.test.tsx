import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Incident } from '@vastai-incident/backstage-plugin-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { clientApis } from '../../testing/apis';
import { FakeIncidentBackend } from '../../testing/fakeIncidentBackend';
import { annotatedEntity, triageReport } from '../../testing/fixtures';
import { IncidentPanel } from './IncidentPanel';

let entityCount = 0;

/** A backend with one open incident, for an entity of its own (permission decisions are cached per entity). */
function newBackend(incident: Partial<Incident> = {}) {
  entityCount += 1;
  const entity = {
    ...annotatedEntity,
    metadata: {
      ...annotatedEntity.metadata,
      name: `vastai-pagerduty-${entityCount}`,
    },
  };
  const backend = new FakeIncidentBackend(
    `component:default/${entity.metadata.name}`,
  );
  backend.seed(incident);
  return { backend, entity };
}

async function renderPanel(
  { backend, entity }: ReturnType<typeof newBackend>,
  send: 'ALLOW' | 'DENY' = 'ALLOW',
) {
  await renderInTestApp(
    <EntityProvider entity={entity}>
      <IncidentPanel
        report={triageReport('vendor-incident')}
        refreshIntervalMs={0}
      />
    </EntityProvider>,
    {
      apis: [
        ...clientApis(backend.fetch),
        mockApis.permission({
          authorize: (request: any) =>
            request.permission.name === 'vastai.comms.send' ? send : 'ALLOW',
        }),
        mockApis.identity({ userEntityRef: 'user:default/jane' }),
      ],
    },
  );
  const section = await screen.findByTestId('vastai-comms-pagerduty');
  const status = within(section).getByRole('status', {
    name: 'PagerDuty page status',
  });
  return { section, status };
}

describe('PagerDuty in the comms section', () => {
  it('pages a P1 with the edited summary, acknowledges it, and shows where the page stands', async () => {
    const setup = newBackend({ severity: 'P1' });
    const { backend } = setup;
    const { section, status } = await renderPanel(setup);
    const user = userEvent.setup();

    await waitFor(() => expect(status).toHaveTextContent(/Page: not paged/));
    expect(status).toHaveTextContent(/pages as critical/);
    const summary = within(section).getByRole('textbox', {
      name: 'PagerDuty alert summary',
    });
    await waitFor(() =>
      expect((summary as HTMLTextAreaElement).value).toMatch(
        /^\[P1\] Vast\.ai API outage/,
      ),
    );
    const acknowledge = within(section).getByRole('button', {
      name: 'Acknowledge PagerDuty page',
    });
    expect(acknowledge).toBeDisabled();
    expect(acknowledge).toHaveAccessibleDescription(
      'no page was sent for this incident',
    );

    await user.clear(summary);
    await user.type(summary, 'Vast.ai down: every rental fails');
    await user.click(
      within(section).getByRole('button', { name: 'Page PagerDuty' }),
    );
    await waitFor(() =>
      expect(status).toHaveTextContent(/Page: paged, not acknowledged/),
    );
    const page = backend.requests.find(
      r => r.method === 'POST' && r.path.endsWith('/comms/pagerduty'),
    );
    expect(page?.body).toEqual({
      action: 'trigger',
      text: 'Vast.ai down: every rental fails',
    });
    const messages = await screen.findByTestId('vastai-comms-messages');
    await within(messages).findByText('PagerDuty (trigger)');

    await waitFor(() =>
      expect(
        within(section).getByRole('button', {
          name: 'Acknowledge PagerDuty page',
        }),
      ).toBeEnabled(),
    );
    await user.click(
      within(section).getByRole('button', {
        name: 'Acknowledge PagerDuty page',
      }),
    );
    await waitFor(() => expect(status).toHaveTextContent(/Page: acknowledged/));
    expect(
      backend.requests
        .filter(r => r.method === 'POST' && r.path.endsWith('/comms/pagerduty'))
        .map(r => r.body.action),
    ).toEqual(['trigger', 'acknowledge']);
  });

  it('shows a failed page with its reason and retries it', async () => {
    const setup = newBackend({ severity: 'P2' });
    const { backend } = setup;
    backend.failures.pagerduty = [429];
    const { section, status } = await renderPanel(setup);
    const user = userEvent.setup();
    await waitFor(() => expect(status).toHaveTextContent(/pages as error/));
    const pageButton = within(section).getByRole('button', {
      name: 'Page PagerDuty',
    });
    await waitFor(() => expect(pageButton).toBeEnabled());
    await user.click(pageButton);
    expect(await within(section).findByRole('alert')).toHaveTextContent(
      /PagerDuty trigger: not sent/,
    );
    const messages = await screen.findByTestId('vastai-comms-messages');
    await user.click(
      await within(messages).findByRole('button', {
        name: 'Retry PagerDuty (trigger) message',
      }),
    );
    await waitFor(() =>
      expect(status).toHaveTextContent(/Page: paged, not acknowledged/),
    );
  });

  it('never offers to page a P3, saying why', async () => {
    const setup = newBackend({ severity: 'P3' });
    const { section, status } = await renderPanel(setup);
    await waitFor(() => expect(status).toHaveTextContent(/P3 does not page/));
    const page = within(section).getByRole('button', {
      name: 'Page PagerDuty',
    });
    expect(page).toBeDisabled();
    expect(page).toHaveAccessibleDescription(
      'only P1 and P2 incidents page; this one is P3',
    );
  });

  it('disables every PagerDuty control without vastai.comms.send, saying why', async () => {
    const setup = newBackend({ severity: 'P1' });
    const { backend } = setup;
    const { section, status } = await renderPanel(setup, 'DENY');
    await waitFor(() => expect(status).toHaveTextContent(/Page: not paged/));
    for (const name of [
      'Page PagerDuty',
      'Acknowledge PagerDuty page',
      'Resolve PagerDuty page',
    ]) {
      const button = within(section).getByRole('button', { name });
      expect(button).toBeDisabled();
      expect(button).toHaveAccessibleDescription(
        'You lack the vastai.comms.send permission on this entity.',
      );
    }
    expect(
      backend.requests.some(
        r => r.method === 'POST' && r.path.endsWith('/comms/pagerduty'),
      ),
    ).toBe(false);
  });
});
