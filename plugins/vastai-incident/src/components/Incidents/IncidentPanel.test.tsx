import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { clientApis } from '../../testing/apis';
import { FakeIncidentBackend } from '../../testing/fakeIncidentBackend';
import { annotatedEntity, triageReport } from '../../testing/fixtures';
import { IncidentPanel } from './IncidentPanel';

/** What the mock permission API answers (AuthorizeResult's values). */
type Decision = 'ALLOW' | 'DENY';
type Decisions = Partial<Record<string, Decision>>;

let entityCount = 0;

/**
 * A fresh backend for an entity of its own: usePermission caches decisions per
 * (permission, resourceRef) across renders, so each test gets its own ref.
 */
function newBackend() {
  entityCount += 1;
  const entity = {
    ...annotatedEntity,
    metadata: {
      ...annotatedEntity.metadata,
      name: `vastai-integration-${entityCount}`,
    },
  };
  const backend = new FakeIncidentBackend(
    `component:default/${entity.metadata.name}`,
  );
  return { backend, entity };
}

async function renderPanel(
  { backend, entity }: ReturnType<typeof newBackend>,
  decisions: Decisions = {},
) {
  const authorize = jest.fn((request: any): Decision => {
    // Every check is on the entity of the page.
    if (request.resourceRef !== backend.entityRef) return 'DENY';
    return decisions[request.permission.name] ?? 'ALLOW';
  });
  await renderInTestApp(
    <EntityProvider entity={entity}>
      <IncidentPanel
        report={triageReport('vendor-incident')}
        refreshIntervalMs={0}
        evidencePollMs={20}
      />
    </EntityProvider>,
    {
      apis: [
        ...clientApis(backend.fetch),
        mockApis.permission({ authorize }),
        mockApis.identity({ userEntityRef: 'user:default/jane' }),
      ],
    },
  );
  return { authorize };
}

const timelineText = () =>
  screen.getByTestId('vastai-incident-timeline').textContent ?? '';

describe('IncidentPanel', () => {
  it('declares an incident with the triage severity and a chosen commander', async () => {
    const setup = newBackend();
    const { backend } = setup;
    await renderPanel(setup);
    const user = userEvent.setup();

    await user.click(
      await screen.findByRole('button', { name: 'Declare incident' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Declare incident',
    });
    // Pre-filled: severity from triage (P1), commander the signed-in user.
    expect(
      within(dialog).getByRole('button', { name: /Severity/ }),
    ).toHaveTextContent('P1');
    const commander = within(dialog).getByLabelText('Incident commander');
    await waitFor(() => expect(commander).toHaveValue('user:default/jane'));

    const title = within(dialog).getByLabelText(/Title/);
    await user.clear(title);
    await user.type(title, 'Vast.ai is down');
    await user.type(
      within(dialog).getByLabelText(/Impact/),
      'No new GPU rentals',
    );
    await user.clear(commander);
    await user.type(commander, 'user:default/bob');
    await user.click(within(dialog).getByRole('button', { name: 'Declare' }));

    await screen.findByText('[P1] Vast.ai is down');
    const declare = backend.requests.find(
      r => r.method === 'POST' && r.path === '/incidents',
    );
    expect(declare?.body).toEqual({
      entityRef: backend.entityRef,
      title: 'Vast.ai is down',
      impact: 'No new GPU rentals',
      severity: 'P1',
      commander: 'user:default/bob',
    });
    expect(
      screen.queryByRole('button', { name: 'Declare incident' }),
    ).not.toBeInTheDocument();
    expect(timelineText()).toMatch(/Declared/);
    expect(screen.getByTestId('vastai-incident-clock')).toHaveTextContent(
      /left to respond/,
    );
  });

  it('refuses a commander that is not a user ref', async () => {
    const setup = newBackend();
    await renderPanel(setup);
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Declare incident' }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/Impact/), 'x');
    const commander = within(dialog).getByLabelText('Incident commander');
    await user.clear(commander);
    await user.type(commander, 'group:default/team');
    expect(
      within(dialog).getByText(/Must be a user entity ref/),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Declare' }),
    ).toBeDisabled();
  });

  it('moves the status along the stepper and records it, newest first', async () => {
    const setup = newBackend();
    const { backend } = setup;
    backend.seed();
    await renderPanel(setup);
    const user = userEvent.setup();

    await user.click(
      await screen.findByRole('button', { name: 'Set status to identified' }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('vastai-incident-status')).toHaveAttribute(
        'data-status',
        'identified',
      ),
    );
    expect(backend.requests).toContainEqual({
      method: 'PATCH',
      path: expect.stringMatching(/^\/incidents\/[^/]+$/),
      body: { status: 'identified' },
    });
    const entries = screen
      .getByTestId('vastai-incident-timeline')
      .querySelectorAll('li');
    // Newest first: the status change above the declaration, each with time, actor and kind.
    expect(entries[0]).toHaveAttribute('data-kind', 'status');
    expect(entries[0]).toHaveTextContent(/user:default\/jane · Status/);
    expect(entries[0].querySelector('time')).toHaveAttribute('datetime');
    expect(entries[entries.length - 1]).toHaveAttribute(
      'data-kind',
      'declared',
    );
    // Responded: the clock no longer counts down.
    expect(screen.getByTestId('vastai-incident-clock')).toHaveTextContent(
      /Responded after/,
    );
  });

  it('adds a note to the timeline', async () => {
    const setup = newBackend();
    const { backend } = setup;
    backend.seed();
    await renderPanel(setup);
    const user = userEvent.setup();
    await user.type(
      await screen.findByLabelText('Add a note'),
      'Vendor confirmed on their status page',
    );
    await user.click(screen.getByRole('button', { name: 'Add note' }));
    await waitFor(() =>
      expect(timelineText()).toMatch(/Vendor confirmed on their status page/),
    );
    expect(screen.getByLabelText('Add a note')).toHaveValue('');
  });

  it('says overdue in words when the response target has passed', async () => {
    const setup = newBackend();
    const { backend } = setup;
    backend.seed({
      declaredAt: new Date(Date.now() - 20 * 60_000).toISOString(),
    });
    await renderPanel(setup);
    const clock = await screen.findByTestId('vastai-incident-clock');
    expect(clock).toHaveTextContent(/OVERDUE by \d+:\d\d/);
    expect(clock).toHaveAttribute('data-overdue', 'true');
  });

  it('previews, edits and sends a Slack message; a failure shows its reason and retries', async () => {
    const setup = newBackend();
    const { backend } = setup;
    backend.seed();
    backend.failures.slack = [429];
    await renderPanel(setup);
    const user = userEvent.setup();

    const slack = await screen.findByTestId('vastai-comms-slack');
    const text = within(slack).getByTestId('vastai-comms-slack-text');
    await waitFor(() =>
      expect((text as HTMLTextAreaElement).value).toMatch(/slack template/),
    );
    const statuspage = screen.getByTestId('vastai-comms-statuspage');
    await waitFor(() =>
      expect(
        (
          within(statuspage).getByTestId(
            'vastai-comms-statuspage-text',
          ) as HTMLTextAreaElement
        ).value,
      ).toMatch(/statuspage template/),
    );
    expect(statuspage).toHaveTextContent(
      /will create the status-page incident/,
    );

    await user.clear(text);
    await user.type(text, 'Edited: Vast.ai outage, fallback on');
    await user.click(
      within(slack).getByRole('button', { name: 'Send to Slack' }),
    );

    const send = backend.requests.find(
      r => r.method === 'POST' && r.path.endsWith('/comms'),
    );
    expect(send?.body).toEqual({
      channel: 'slack',
      text: 'Edited: Vast.ai outage, fallback on',
    });
    const messages = await screen.findByTestId('vastai-comms-messages');
    await within(messages).findByText(
      /Reason: Rate limited by Slack \(HTTP 429\)/,
    );
    expect(messages.querySelector('li')).toHaveAttribute(
      'data-status',
      'failed',
    );
    expect(within(slack).getByRole('alert')).toHaveTextContent(/not sent/);

    await user.click(
      within(messages).getByRole('button', { name: 'Retry Slack message' }),
    );
    await waitFor(() =>
      expect(
        screen.getByTestId('vastai-comms-messages').querySelector('li'),
      ).toHaveAttribute('data-status', 'sent'),
    );
    expect(
      backend.requests.some(r => /\/comms\/[^/]+\/retry$/.test(r.path)),
    ).toBe(true);
    expect(screen.getByTestId('vastai-comms-messages')).toHaveTextContent(
      /Sent .* 2 attempts/,
    );
    await waitFor(() =>
      expect(timelineText()).toMatch(/slack message sent: Edited/),
    );
  });

  it('builds the evidence bundle with visible progress, then downloads it', async () => {
    const setup = newBackend();
    const { backend } = setup;
    backend.seed();
    const createObjectURL = jest.fn(() => 'blob:evidence');
    const revokeObjectURL = jest.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => {});
    await renderPanel(setup);
    const user = userEvent.setup();

    // The build is held at each step until the test has seen it.
    backend.evidenceProgressLimit = 0;
    await user.click(
      await screen.findByRole('button', { name: 'Build evidence bundle' }),
    );
    const evidence = screen.getByTestId('vastai-evidence');
    await within(evidence).findByText('Building the evidence bundle: 0%');
    backend.evidenceProgressLimit = 50;
    await within(evidence).findByText('Building the evidence bundle: 50%');
    expect(within(evidence).getByRole('progressbar')).toHaveAttribute(
      'aria-valuenow',
      '50',
    );
    backend.evidenceProgressLimit = 100;
    const download = await within(evidence).findByRole('button', {
      name: 'Download evidence bundle (.tar.gz)',
    });
    expect(evidence).toHaveTextContent(/2\.0 kB/);
    await user.click(download);
    await waitFor(() => expect(createObjectURL).toHaveBeenCalled());
    expect(
      backend.requests.some(r => /\/evidence\/[^/]+\/download$/.test(r.path)),
    ).toBe(true);
    const anchor = click.mock.instances[0] as unknown as HTMLAnchorElement;
    expect(anchor.download).toMatch(/^incident-.*-evidence-.*\.tar\.gz$/);
    click.mockRestore();
  });

  it('previews the postmortem, saves an edit and downloads it', async () => {
    const setup = newBackend();
    const { backend } = setup;
    const incident = backend.seed();
    Object.assign(URL, {
      createObjectURL: jest.fn(() => 'blob:pm'),
      revokeObjectURL: jest.fn(),
    });
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => {});
    await renderPanel(setup);
    const user = userEvent.setup();

    const section = await screen.findByTestId('vastai-postmortem');
    await within(section).findByRole('heading', {
      name: /Postmortem: Vast.ai API outage/,
    });
    expect(
      within(section).getByRole('button', { name: 'Save postmortem' }),
    ).toBeDisabled();

    await user.click(within(section).getByRole('tab', { name: 'Edit' }));
    const editor = within(section).getByLabelText('Postmortem (Markdown)');
    await user.type(editor, '\n## Root cause\n\nThe vendor.');
    await user.click(
      within(section).getByRole('button', { name: 'Save postmortem' }),
    );
    await within(section).findByText(/^Saved /, {
      selector: '.MuiAlert-message',
    });
    expect(backend.postmortems.get(incident.id)?.markdown).toMatch(
      /## Root cause\n\nThe vendor\.$/,
    );

    await user.click(
      within(section).getByRole('button', {
        name: 'Download postmortem (.md)',
      }),
    );
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(
      backend.requests.some(r => r.path.endsWith('/postmortem/download')),
    ).toBe(true);
    click.mockRestore();
  });

  it('disables sending without vastai.comms.send, saying why', async () => {
    const setup = newBackend();
    const { backend } = setup;
    backend.seed();
    backend.failures.slack = [500];
    await renderPanel(setup, { 'vastai.comms.send': 'DENY' });
    const slack = await screen.findByTestId('vastai-comms-slack');
    await waitFor(() =>
      expect(
        (
          within(slack).getByTestId(
            'vastai-comms-slack-text',
          ) as HTMLTextAreaElement
        ).value,
      ).toMatch(/template/),
    );
    for (const name of ['Send to Slack', 'Send to Status page']) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
    }
    expect(slack).toHaveTextContent(
      'You lack the vastai.comms.send permission on this entity.',
    );
    // Managing is still allowed.
    expect(
      screen.getByRole('button', { name: 'Set status to identified' }),
    ).toBeEnabled();
  });

  it('disables declaring and managing without vastai.incident.manage, saying why', async () => {
    const setup = newBackend();
    await renderPanel(setup, {
      'vastai.incident.manage': 'DENY',
    });
    const declare = await screen.findByRole('button', {
      name: 'Declare incident',
    });
    await waitFor(() =>
      expect(
        screen.getByText(
          'You lack the vastai.incident.manage permission on this entity.',
        ),
      ).toBeInTheDocument(),
    );
    expect(declare).toBeDisabled();
  });

  it('keeps a resolved incident visible for its postmortem, and offers to declare a new one', async () => {
    const setup = newBackend();
    const { backend } = setup;
    backend.seed();
    await renderPanel(setup);
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Set status to resolved' }),
    );
    await screen.findByRole('button', { name: 'Declare incident' });
    expect(screen.getByTestId('vastai-incident-status')).toHaveAttribute(
      'data-status',
      'resolved',
    );
    expect(
      screen.getByRole('button', { name: 'Set status to monitoring' }),
    ).toBeDisabled();
    expect(
      screen.getByTestId('vastai-incident-manage-reason'),
    ).toHaveTextContent(/resolved/);
    expect(
      screen.getByRole('button', { name: 'Download postmortem (.md)' }),
    ).toBeEnabled();
  });
});
