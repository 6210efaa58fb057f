import '@testing-library/jest-dom';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type {
  Incident,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import { IncidentsApi, incidentsApiRef } from '../../api/IncidentsApi';
import { RemediationApi, remediationApiRef } from '../../api/RemediationApi';
import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { permissionApiAllowing } from '../../testing/apis';
import {
  actionRun,
  annotatedEntity,
  mockVastaiApi,
  triageReport,
} from '../../testing/fixtures';
import { TAB_SECTIONS } from './JumpNav';
import { VastaiIncidentContent } from './VastaiIncidentContent';

const openIncident: Incident = {
  id: 'inc-1',
  entityRef: 'component:default/vastai-integration',
  title: 'Vast.ai calls failing',
  severity: 'P1',
  status: 'investigating',
  impact: 'Jobs fail',
  commander: 'user:default/ann',
  declaredBy: 'user:default/ann',
  declaredAt: new Date(Date.now() - 5 * 60_000).toISOString(),
  updatedAt: new Date().toISOString(),
  responseDueAt: new Date(Date.now() + 10 * 60_000).toISOString(),
  overdue: false,
};

async function renderTab(options: {
  allow: boolean;
  incidents?: Incident[];
  // Each entity name gets its own permission cache entry (usePermission caches per resource).
  name: string;
  report?: TriageReport;
}) {
  const remediation = {
    dryRun: jest.fn(async () =>
      actionRun({
        actionId: 'rollout-restart',
        dryRun: true,
        status: 'dry-run',
      }),
    ),
    apply: jest.fn(async () => actionRun({ actionId: 'rollout-restart' })),
    getRun: jest.fn(async () =>
      actionRun({
        actionId: 'rollout-restart',
        status: 'succeeded',
        phase: 'done',
        verification: 'verified',
      } as any),
    ),
    getHistory: jest.fn(async () => ({ entityRef: 'x', entries: [] })),
  };
  const incidents = { list: jest.fn(async () => options.incidents ?? []) };
  await renderInTestApp(
    <EntityProvider
      entity={{
        ...annotatedEntity,
        metadata: { ...annotatedEntity.metadata, name: options.name },
      }}
    >
      <VastaiIncidentContent refreshIntervalMs={0} />
    </EntityProvider>,
    {
      apis: [
        [
          vastaiIncidentApiRef,
          mockVastaiApi({
            getTriage: jest.fn(
              async () => options.report ?? triageReport('our-infrastructure'),
            ),
          }),
        ],
        [remediationApiRef, remediation as Partial<RemediationApi>],
        [incidentsApiRef, incidents as Partial<IncidentsApi>],
        permissionApiAllowing(() => options.allow),
      ],
    },
  );
  return { remediation };
}

describe('the triage summary at the top of the tab', () => {
  it('answers severity, verdict, clock and the first action first, and runs it through the shared dialog', async () => {
    const { remediation } = await renderTab({
      allow: true,
      incidents: [openIncident],
      name: 'summary-allowed',
    });
    const summary = await screen.findByTestId('vastai-summary');
    const parts = within(summary);
    expect(parts.getByTestId('vastai-severity')).toHaveTextContent('P1');
    expect(parts.getByTestId('vastai-verdict')).toHaveTextContent(/\w/);
    expect(await parts.findByTestId('vastai-summary-clock')).toHaveTextContent(
      /left to respond/,
    );
    expect(parts.getByText('Vast.ai calls failing')).toBeInTheDocument();

    const button = parts.getByRole('button', {
      name: /Restart the deployment/,
    });
    await waitFor(() => expect(button).toBeEnabled());
    // Severity, verdict and the action come before the tree and the rest, in page order.
    const severity = parts.getByTestId('vastai-severity');
    expect(
      // eslint-disable-next-line no-bitwise
      severity.compareDocumentPosition(button) &
        Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();

    fireEvent.click(button);
    const dialog = await screen.findByTestId('vastai-remediation-dialog');
    expect(remediation.dryRun).toHaveBeenCalledTimes(1);
    const confirm = within(dialog).getByTestId('vastai-remediation-confirm');
    await waitFor(() => expect(confirm).toBeEnabled());
    fireEvent.click(confirm);
    await within(dialog).findByText('Succeeded: applied and verified');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));

    // The verified outcome stays in the summary once the dialog is closed.
    expect(
      await parts.findByTestId('vastai-summary-last-run'),
    ).toHaveTextContent('Succeeded: applied and verified');
    expect(remediation.apply).toHaveBeenCalledTimes(1);
  });

  it('gates the summary buttons by the same permission as the panel', async () => {
    await renderTab({ allow: false, name: 'summary-denied' });
    const summary = await screen.findByTestId('vastai-summary');
    const button = within(summary).getByRole('button', {
      name: /Restart the deployment/,
    });
    await waitFor(() =>
      expect(
        within(summary).getByTestId('vastai-summary-denied-rollout-restart'),
      ).toHaveTextContent(/vastai\.remediation\.execute/),
    );
    expect(button).toBeDisabled();
    // The panel further down shows the same gate.
    expect(
      screen.getByTestId('vastai-remediation-button-rollout-restart'),
    ).toBeDisabled();
    expect(
      within(summary).queryByTestId('vastai-summary-clock'),
    ).not.toBeInTheDocument();
  });

  it("links to the runbook, Vast.ai's status page and support in new tabs, and to the open incident", async () => {
    await renderTab({
      allow: true,
      name: 'summary-links',
      incidents: [openIncident],
      report: {
        ...triageReport('vendor-incident'),
        links: {
          vendorStatus: 'https://status.vast.ai',
          vendorSupport: 'https://discord.gg/vast',
          // eslint-disable-next-line no-script-url -- the hostile value under test
          runbook: 'javascript:alert(document.cookie)',
        },
      },
    });
    const nav = await screen.findByRole('navigation', {
      name: 'Runbook links',
    });
    const status = within(nav).getByRole('link', {
      name: /^Vast\.ai status page/,
    });
    expect(status).toHaveAttribute('href', 'https://status.vast.ai/');
    expect(status).toHaveAttribute('target', '_blank');
    expect(status).toHaveAttribute('rel', 'noopener noreferrer');
    expect(
      within(nav).getByRole('link', { name: /^Vast\.ai support/ }),
    ).toHaveAttribute('href', 'https://discord.gg/vast');
    // A hostile runbook value is no link at all.
    expect(
      within(nav).queryByRole('link', { name: /Runbook/ }),
    ).not.toBeInTheDocument();
    expect(
      await within(nav).findByRole('link', { name: 'Open incident (P1)' }),
    ).toHaveAttribute('href', '#vastai-section-incident');
  });

  it('gives every button of the tab an accessible name, icon buttons included', async () => {
    await renderTab({
      allow: true,
      incidents: [openIncident],
      name: 'summary-names',
    });
    await screen.findByRole('table', { name: 'Pods' });
    await screen.findByTestId('vastai-summary-clock');
    const buttons = screen.getAllByRole('button');
    const named = screen.getAllByRole('button', { name: /\S/ });
    expect(buttons.length).toBeGreaterThan(5);
    expect(
      buttons
        .filter(b => !named.includes(b))
        .map(b => b.outerHTML.slice(0, 120)),
    ).toEqual([]);
    // The one icon-only button of the tab says what it does.
    expect(screen.getByRole('button', { name: 'Refresh' })).toBeInTheDocument();
  });

  it('links to every section of the tab by an in-page anchor', async () => {
    await renderTab({ allow: true, name: 'summary-anchors' });
    const nav = await screen.findByRole('navigation', {
      name: 'Jump to section',
    });
    for (const section of TAB_SECTIONS) {
      const link = within(nav).getByRole('link', { name: section.title });
      expect(link).toHaveAttribute('href', `#${section.id}`);
      expect(document.getElementById(section.id)).not.toBeNull();
    }
  });
});
