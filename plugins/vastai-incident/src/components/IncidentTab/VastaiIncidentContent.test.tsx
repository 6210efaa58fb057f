import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { TriageReport } from '@vastai-incident/backstage-plugin-common';
import { VastaiIncidentApi } from '../../api/VastaiIncidentApi';
import { renderOnEntity } from '../../testing/apis';
import {
  mockVastaiApi,
  triageReport,
  responseError,
} from '../../testing/fixtures';
import { VastaiIncidentContent } from './VastaiIncidentContent';

function renderTab(api: VastaiIncidentApi, refreshIntervalMs = 0) {
  return renderOnEntity(
    <VastaiIncidentContent refreshIntervalMs={refreshIntervalMs} />,
    api,
  );
}

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('VastaiIncidentContent', () => {
  it('shows progress while the triage loads', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(() => new Promise<never>(() => {})),
    });
    await renderTab(api);
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
    expect(screen.queryByTestId('vastai-severity')).not.toBeInTheDocument();
  });

  it('shows the server error in a ResponseErrorPanel', async () => {
    const error = await responseError(500, 'prometheus exploded');
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => Promise.reject(error)),
    });
    await renderTab(api);
    expect(await screen.findByText(/prometheus exploded/)).toBeInTheDocument();
    expect(screen.queryByTestId('vastai-severity')).not.toBeInTheDocument();
  });

  it('says "not configured" on 404', async () => {
    const error = await responseError(404, 'No integration "nope" configured');
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => Promise.reject(error)),
    });
    await renderTab(api);
    expect(
      await screen.findByText(/is not configured for this entity/),
    ).toBeInTheDocument();
  });

  it('says access denied on 403, naming the permission', async () => {
    const error = await responseError(403, 'Forbidden');
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => Promise.reject(error)),
    });
    await renderTab(api);
    expect(await screen.findByText(/Access denied/)).toBeInTheDocument();
    expect(screen.getByText(/vastai\.incident\.read/)).toBeInTheDocument();
  });

  it.each([
    [
      'vendor-incident',
      'P1',
      'Vast.ai incident',
      'Enable fallback',
      /respond within 15 min/,
    ],
    [
      'our-integration',
      'P2',
      'Our integration',
      'Rotate the Vast.ai API key',
      /respond within 1 h/,
    ],
    [
      'resolved-or-intermittent',
      'P4',
      'Resolved or intermittent',
      undefined,
      /next business day/,
    ],
    [
      'our-infrastructure',
      'P1',
      'Our infrastructure',
      'Restart the deployment',
      /respond within 15 min/,
    ],
  ])(
    'renders the %s branch',
    async (branch, severity, branchText, actionText, target) => {
      const report = triageReport(branch);
      const api = mockVastaiApi({ getTriage: jest.fn(async () => report) });
      await renderTab(api);

      const badge = await screen.findByTestId('vastai-severity');
      expect(badge).toHaveTextContent(severity);
      expect(badge).toHaveTextContent(target);
      expect(screen.getByTestId('vastai-verdict')).toHaveTextContent(
        report.verdict,
      );
      expect(screen.getByTestId('vastai-branch')).toHaveTextContent(branchText);
      // The decision path with its evidence.
      for (const step of report.path) {
        expect(
          screen.getByText(`Evidence: ${step.evidence}`),
        ).toBeInTheDocument();
      }
      // Each signal with its summary and age.
      for (const signal of report.signals) {
        expect(screen.getAllByText(signal.summary).length).toBeGreaterThan(0);
      }
      // Observed 12 s before the render; a slow render makes it older.
      expect(screen.getAllByText(/\d+ s ago/).length).toBeGreaterThanOrEqual(
        report.signals.length,
      );
      // The recommended remediation, as a button with its reason (the Remediation panel).
      const expectedActionTexts = actionText
        ? [actionText, report.actions[0].reason]
        : ['recommends no remediation'];
      for (const text of expectedActionTexts) {
        expect(
          (await screen.findAllByText(new RegExp(escapeRegExp(text)))).length,
        ).toBeGreaterThan(0);
      }
      expect(api.getTriage).toHaveBeenCalledWith({
        kind: 'Component',
        namespace: 'default',
        name: 'vastai-integration',
      });
    },
  );

  it('renders the healthy branch as "No incident" and marks stale signals in words', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => triageReport('healthy')),
    });
    await renderTab(api);
    expect(await screen.findByTestId('vastai-severity')).toHaveTextContent(
      'No incident',
    );
    expect(screen.getByTestId('vastai-branch')).toHaveTextContent('Healthy');
    expect(screen.getByText('OK (stale)')).toBeInTheDocument();
    expect(
      screen.getByText(/Stale: last known value.*health endpoint timed out/),
    ).toBeInTheDocument();
  });

  it('marks unknown signals with their reason', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => triageReport('our-infrastructure')),
    });
    await renderTab(api);
    expect(await screen.findByText('Unknown')).toBeInTheDocument();
    expect(
      screen.getByText('Could not tell: scrape target down.'),
    ).toBeInTheDocument();
    expect(screen.getByText(/Unknown \(could not tell\)/)).toBeInTheDocument();
  });

  it('survives a partial report with missing fields', async () => {
    const partial = {
      severity: 'P3',
      signals: [{ source: 'metrics' }, null, { state: 'weird' }],
      path: [{}],
      actions: [{ id: 'something-new' }],
    } as unknown as TriageReport;
    const api = mockVastaiApi({ getTriage: jest.fn(async () => partial) });
    await renderTab(api);
    const badge = await screen.findByTestId('vastai-severity');
    expect(badge).toHaveTextContent('P3');
    expect(
      screen.getByText('The backend gave no verdict.'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('vastai-branch')).toHaveTextContent('Unknown');
    // An action id this version does not know is not offered as a button.
    // (in the summary and in the remediation panel)
    expect(
      (await screen.findAllByText(/recommends no remediation/)).length,
    ).toBe(2);
    expect(screen.getAllByText('time unknown').length).toBeGreaterThan(0);
  });

  it('survives an empty object', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => ({} as TriageReport)),
    });
    await renderTab(api);
    expect(await screen.findByTestId('vastai-severity')).toHaveTextContent(
      'No incident',
    );
    expect(screen.getByText('No signals were reported.')).toBeInTheDocument();
  });

  it('refreshes on demand', async () => {
    const api = mockVastaiApi({
      getTriage: jest
        .fn()
        .mockResolvedValueOnce(triageReport('healthy'))
        .mockResolvedValueOnce(triageReport('vendor-incident')),
    });
    await renderTab(api);
    expect(await screen.findByTestId('vastai-severity')).toHaveTextContent(
      'No incident',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() =>
      expect(screen.getByTestId('vastai-severity')).toHaveTextContent('P1'),
    );
    expect(api.getTriage).toHaveBeenCalledTimes(2);
  });

  it('keeps the last report and warns when a refresh fails', async () => {
    const error = await responseError(503, 'backend busy');
    const api = mockVastaiApi({
      getTriage: jest
        .fn()
        .mockResolvedValueOnce(triageReport('our-integration'))
        .mockRejectedValueOnce(error),
    });
    await renderTab(api);
    expect(await screen.findByTestId('vastai-severity')).toHaveTextContent(
      'P2',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText(/Refresh failed/)).toBeInTheDocument();
    expect(screen.getByTestId('vastai-severity')).toHaveTextContent('P2');
  });

  describe('auto-refresh', () => {
    let visibility: DocumentVisibilityState = 'visible';
    beforeAll(() => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => visibility,
      });
    });
    afterEach(() => {
      visibility = 'visible';
    });

    it('polls while visible and pauses while the browser tab is hidden', async () => {
      const api = mockVastaiApi();
      await renderTab(api, 40);
      await screen.findByTestId('vastai-severity');
      await waitFor(() =>
        expect(api.getTriage.mock.calls.length).toBeGreaterThanOrEqual(3),
      );

      act(() => {
        visibility = 'hidden';
        document.dispatchEvent(new Event('visibilitychange'));
      });
      // Let any request already in flight settle, then count.
      await act(() => new Promise(r => setTimeout(r, 60)));
      const whileHidden = api.getTriage.mock.calls.length;
      await act(() => new Promise(r => setTimeout(r, 200)));
      expect(api.getTriage.mock.calls.length).toBe(whileHidden);

      act(() => {
        visibility = 'visible';
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await waitFor(() =>
        expect(api.getTriage.mock.calls.length).toBeGreaterThan(whileHidden),
      );
    });
  });
});
