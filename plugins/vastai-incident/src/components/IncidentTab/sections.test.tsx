import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MetricRangeResponse } from '@vastai-incident/backstage-plugin-common';
import { VastaiIncidentApi } from '../../api/VastaiIncidentApi';
import { renderOnEntity } from '../../testing/apis';
import {
  mockVastaiApi,
  responseError,
  secondsAgo,
  triageReport,
} from '../../testing/fixtures';
import { VastaiIncidentContent } from './VastaiIncidentContent';

function renderTab(api: VastaiIncidentApi) {
  return renderOnEntity(<VastaiIncidentContent refreshIntervalMs={0} />, api);
}

const nowS = Math.floor(Date.now() / 1000);

function range(
  queryId: 'error-ratio' | 'p99-latency',
  r: string,
): MetricRangeResponse {
  const seconds = { '1h': 3600, '6h': 21600, '24h': 86400 }[r] ?? 3600;
  const start = nowS - seconds;
  const step = seconds / 6;
  return {
    queryId,
    start,
    end: nowS,
    stepSeconds: step,
    unit: queryId === 'error-ratio' ? 'ratio' : 'seconds',
    threshold: queryId === 'error-ratio' ? 0.05 : 5,
    series: [
      {
        labels: {},
        // A gap in the middle: two separate runs of samples.
        points: [
          [start + step, queryId === 'error-ratio' ? 0.01 : 0.4],
          [start + 2 * step, queryId === 'error-ratio' ? 0.02 : 0.5],
          [start + 3 * step, null],
          [start + 4 * step, queryId === 'error-ratio' ? 0.2 : 6.5],
          [start + 5 * step, queryId === 'error-ratio' ? 0.3 : 7],
        ],
      },
    ],
  };
}

function metricsApi(
  overrides: Partial<Record<keyof VastaiIncidentApi, jest.Mock>> = {},
) {
  return mockVastaiApi({
    getTriage: jest.fn(async () => triageReport('our-integration')),
    getMetricRange: jest.fn(async (_e, q, r) => range(q, r)),
    ...overrides,
  });
}

describe('the tab sections', () => {
  describe('charts', () => {
    it('draws both queries with gaps, a time axis over the range and the thresholds', async () => {
      const api = metricsApi();
      await renderTab(api);
      const errorChart = await screen.findByTestId('vastai-chart-error-ratio');
      const latencyChart = await screen.findByTestId(
        'vastai-chart-p99-latency',
      );
      expect(api.getMetricRange).toHaveBeenCalledWith(
        expect.objectContaining({ name: 'vastai-integration' }),
        'error-ratio',
        '1h',
      );
      expect(api.getMetricRange).toHaveBeenCalledWith(
        expect.anything(),
        'p99-latency',
        '1h',
      );
      expect(errorChart).toHaveAttribute('data-gaps', '1');
      expect(errorChart).toHaveAttribute('data-points', '4');
      // The null point breaks the line into two pieces (two "M" moves), never drawn as zero.
      const curve = errorChart.querySelector('.recharts-line-curve');
      expect(curve?.getAttribute('d')?.match(/M/g)).toHaveLength(2);
      // Thresholds as labelled reference lines.
      expect(
        within(errorChart).getByText('runbook threshold 5.0 %'),
      ).toBeInTheDocument();
      expect(
        errorChart.querySelector('.recharts-reference-line'),
      ).not.toBeNull();
      expect(
        within(latencyChart).getByText('runbook threshold 5.0 s'),
      ).toBeInTheDocument();
      expect(
        within(errorChart).getByRole('img', {
          name: /latest 30 %, runbook threshold 5.0 %, 1 gap/,
        }),
      ).toBeInTheDocument();
      // Ticks in local time spanning the range's start to end.
      const ticks = [
        ...errorChart.querySelectorAll(
          '.recharts-xAxis .recharts-cartesian-axis-tick-value',
        ),
      ].map(t => t.textContent);
      const local = (s: number) =>
        new Date(s * 1000).toLocaleTimeString(undefined, {
          hour: '2-digit',
          minute: '2-digit',
        });
      expect(ticks[0]).toBe(local(nowS - 3600));
      expect(ticks[ticks.length - 1]).toBe(local(nowS));
    });

    it('switches between 1h, 6h and 24h', async () => {
      const api = metricsApi();
      await renderTab(api);
      await screen.findByTestId('vastai-chart-error-ratio');
      const button = screen.getByRole('button', { name: '24h' });
      expect(button).toHaveAttribute('aria-pressed', 'false');
      fireEvent.click(button);
      await waitFor(() =>
        expect(api.getMetricRange).toHaveBeenCalledWith(
          expect.anything(),
          'error-ratio',
          '24h',
        ),
      );
      expect(screen.getByRole('button', { name: '24h' })).toHaveAttribute(
        'aria-pressed',
        'true',
      );
      expect(api.getMetricRange).toHaveBeenCalledWith(
        expect.anything(),
        'p99-latency',
        '24h',
      );
    });

    it('says "no data" with the reason instead of drawing zeros', async () => {
      const api = metricsApi({
        getMetricRange: jest.fn(async (_e, q) => ({
          ...range(q, '1h'),
          series: [{ labels: {}, points: [[nowS - 60, null]] }],
          reason: 'Prometheus is not configured',
        })),
      });
      await renderTab(api);
      const chart = await screen.findByTestId('vastai-chart-error-ratio');
      expect(
        within(chart).getByText(
          'No data for this range: Prometheus is not configured',
        ),
      ).toBeInTheDocument();
      expect(chart.querySelector('.recharts-line-curve')).toBeNull();
    });

    it('draws a lone sample between gaps as a dot', async () => {
      const api = metricsApi({
        getMetricRange: jest.fn(async (_e, q) => ({
          ...range(q, '1h'),
          series: [
            {
              labels: {},
              points: [
                [nowS - 180, null],
                [nowS - 120, 0.5],
                [nowS - 60, null],
              ],
            },
          ],
        })),
      });
      await renderTab(api);
      const chart = await screen.findByTestId('vastai-chart-error-ratio');
      expect(chart).toHaveAttribute('data-points', '1');
      expect(chart.querySelectorAll('circle')).toHaveLength(1);
    });

    it('marks a stale answer and shows errors per chart', async () => {
      const failed = await responseError(500, 'prometheus exploded');
      const api = metricsApi({
        getMetricRange: jest.fn(async (_e, q) =>
          q === 'error-ratio'
            ? {
                ...range(q, '1h'),
                stale: true,
                ageSeconds: 95,
                reason: 'timeout',
              }
            : Promise.reject(failed),
        ),
      });
      await renderTab(api);
      const chart = await screen.findByTestId('vastai-chart-error-ratio');
      expect(chart).toHaveTextContent(
        /Stale: the last answer Prometheus gave, 95 s old \(timeout\)/,
      );
      // The panel says it, and its "Full Error as JSON" may repeat it.
      expect(
        (await screen.findAllByText(/prometheus exploded/)).length,
      ).toBeGreaterThan(0);
    });

    it('shows a loading state per chart', async () => {
      const api = metricsApi({
        getMetricRange: jest.fn(() => new Promise(() => {})),
      });
      await renderTab(api);
      await screen.findByTestId('vastai-severity');
      expect(
        screen.getAllByLabelText(/Loading (error rate|latency)/),
      ).toHaveLength(2);
    });
  });

  describe('pods and logs', () => {
    it('lists the pods with readiness, restarts and reasons', async () => {
      const api = metricsApi();
      await renderTab(api);
      const pods = await screen.findByTestId('vastai-pods');
      expect(within(pods).getByText('1 of 2 ready')).toBeInTheDocument();
      expect(
        within(pods).getByText('CrashLoopBackOff / OOMKilled'),
      ).toBeInTheDocument();
      expect(within(pods).getByText('7')).toBeInTheDocument();
      // The age in words; its number depends on how long the render took.
      expect(within(pods).getByText(/\d+ s ago/)).toBeInTheDocument();
    });

    it('shows the denied state for pods', async () => {
      const denied = await responseError(403, 'Forbidden');
      const api = metricsApi({
        getPods: jest.fn(async () => Promise.reject(denied)),
      });
      await renderTab(api);
      expect(await screen.findByText(/Access denied/)).toBeInTheDocument();
    });

    it('shows log lines in monospace with pod and time, and a "since" selector', async () => {
      const time = secondsAgo(30);
      const api = metricsApi({
        getLogs: jest.fn(async (_e, o) => ({
          sinceMinutes: o?.sinceMinutes,
          truncated: o?.sinceMinutes === 60,
          lines: [
            {
              pod: 'vastai-integration-def',
              container: 'app',
              time,
              text: `ERROR 401 from Vast.ai (since ${o?.sinceMinutes})`,
            },
          ],
        })),
      });
      await renderTab(api);
      const logs = await screen.findByTestId('vastai-logs');
      expect(api.getLogs).toHaveBeenCalledWith(expect.anything(), {
        sinceMinutes: 15,
      });
      const list = within(logs).getByRole('list', {
        name: 'Recent error log lines',
      });
      expect(list).toHaveTextContent('vastai-integration-def/app');
      expect(list).toHaveTextContent(
        new Date(time).toLocaleTimeString(undefined, { hour12: false }),
      );
      expect(list).toHaveTextContent('ERROR 401 from Vast.ai (since 15)');
      expect(getComputedStyle(list).fontFamily).toMatch(/monospace/);

      expect(screen.getByRole('button', { name: '15 min' })).toHaveAttribute(
        'aria-pressed',
        'true',
      );
      fireEvent.click(screen.getByRole('button', { name: '60 min' }));
      expect(
        await screen.findByText('ERROR 401 from Vast.ai (since 60)'),
      ).toBeInTheDocument();
      expect(api.getLogs).toHaveBeenLastCalledWith(expect.anything(), {
        sinceMinutes: 60,
      });
      expect(screen.getByText(/Cut short/)).toBeInTheDocument();
      fireEvent.click(screen.getByRole('button', { name: '5 min' }));
      await waitFor(() =>
        expect(api.getLogs).toHaveBeenLastCalledWith(expect.anything(), {
          sinceMinutes: 5,
        }),
      );
    });

    it('says when there are no error lines, and why', async () => {
      const api = metricsApi({
        getLogs: jest.fn(async () => ({
          lines: [],
          truncated: false,
          sinceMinutes: 15,
          reason: 'no deployment configured',
        })),
      });
      await renderTab(api);
      expect(
        await screen.findByText(
          /No error lines in the last 15\s+minutes \(no deployment configured\)/,
        ),
      ).toBeInTheDocument();
    });

    it('shows a logs error without breaking the rest of the tab', async () => {
      const failed = await responseError(500, 'kubernetes is down');
      const api = metricsApi({
        getLogs: jest.fn(async () => Promise.reject(failed)),
      });
      await renderTab(api);
      expect(
        (await screen.findAllByText(/kubernetes is down/)).length,
      ).toBeGreaterThan(0);
      expect(screen.getByTestId('vastai-severity')).toHaveTextContent('P2');
      expect(await screen.findByTestId('vastai-pods')).toBeInTheDocument();
    });
  });

  it('refreshes every section with the one refresh button', async () => {
    const api = metricsApi();
    await renderTab(api);
    await screen.findByTestId('vastai-chart-p99-latency');
    await screen.findByTestId('vastai-logs');
    await screen.findByTestId('vastai-pods');
    const before = {
      metrics: api.getMetricRange.mock.calls.length,
      pods: api.getPods.mock.calls.length,
      logs: api.getLogs.mock.calls.length,
    };
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => {
      expect(api.getMetricRange.mock.calls.length).toBe(before.metrics + 2);
      expect(api.getPods.mock.calls.length).toBe(before.pods + 1);
      expect(api.getLogs.mock.calls.length).toBe(before.logs + 1);
    });
  });

  it('lets a keyboard reach refresh, the range and the since selectors', async () => {
    const api = metricsApi();
    await renderTab(api);
    await screen.findByTestId('vastai-logs');
    const user = userEvent.setup();
    const reached = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await user.tab();
      const el = document.activeElement as HTMLElement;
      const name = el.getAttribute('aria-label') ?? el.textContent ?? '';
      reached.add(name.replace('✓\u00a0', ''));
    }
    for (const name of ['Refresh', '6h', '24h', '60 min']) {
      expect([...reached]).toContain(name);
    }
  });
});
