import { screen } from '@testing-library/react';
import { TriageReport } from '@vastai-incident/backstage-plugin-common';
import { renderOnEntity } from '../../testing/apis';
import {
  mockVastaiApi,
  responseError,
  secondsAgo,
} from '../../testing/fixtures';
import { ErrorRateCard } from './ErrorRateCard';
import { IntegrationHealthCard } from './IntegrationHealthCard';
import { PodsCard } from './PodsCard';
import { VendorStatusCard } from './VendorStatusCard';

const report: TriageReport = {
  entityRef: 'component:default/vastai-integration',
  integration: 'vastai-integration',
  severity: 'P1',
  branch: 'vendor-incident',
  verdict: 'Vast.ai is down.',
  reasons: [],
  path: [],
  actions: [],
  generatedAt: secondsAgo(1),
  signals: [
    {
      source: 'vendor-status',
      state: 'failing',
      summary: 'status page: major outage',
      observedAt: secondsAgo(5),
      latencyMs: 10,
      value: {
        indicator: 'major',
        description: 'Major outage',
        incidents: [
          { name: 'API unavailable', status: 'investigating', impact: 'major' },
        ],
        components: [],
      },
    },
    {
      source: 'vendor-api',
      state: 'unknown',
      summary: 'probe timed out',
      observedAt: secondsAgo(5),
      latencyMs: 3000,
      reason: 'deadline of 3 s exceeded',
    },
    {
      source: 'integration-health',
      state: 'degraded',
      summary: 'degraded, fallback on',
      observedAt: secondsAgo(5),
      latencyMs: 12,
      value: { status: 'degraded', vastaiConnected: false, fallback: true },
    },
    {
      source: 'metrics',
      state: 'failing',
      summary: '23% of calls fail',
      observedAt: secondsAgo(5),
      latencyMs: 20,
      value: {
        errorRatio: 0.2345,
        errorsPerMinuteByClass: null,
        rateLimitedPerMinute: null,
        vendor5xxPerMinute: null,
        authErrorsPerMinute: null,
        p99LatencySeconds: null,
        scrapeUp: true,
      },
    },
  ],
};

describe('entity cards', () => {
  it('vendor status: status page, open incidents and our probe', async () => {
    await renderOnEntity(
      <VendorStatusCard />,
      mockVastaiApi({ getTriage: jest.fn(async () => report) }),
    );
    expect(
      await screen.findByText('status page: major outage'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/API unavailable \(investigating, impact major\)/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Could not tell: deadline of 3 s exceeded.'),
    ).toBeInTheDocument();
  });

  it('integration health: state and fallback', async () => {
    await renderOnEntity(
      <IntegrationHealthCard />,
      mockVastaiApi({ getTriage: jest.fn(async () => report) }),
    );
    expect(
      await screen.findByText('degraded, fallback on'),
    ).toBeInTheDocument();
    expect(screen.getByText(/Fallback\s+active: yes/)).toBeInTheDocument();
  });

  it('error rate: current ratio and the last hour', async () => {
    const api = mockVastaiApi({ getTriage: jest.fn(async () => report) });
    await renderOnEntity(<ErrorRateCard />, api);
    expect(await screen.findByText('23.4 %')).toBeInTheDocument();
    expect(
      await screen.findByRole('img', {
        name: 'Error ratio over the last hour',
      }),
    ).toBeInTheDocument();
    expect(api.getMetricRange).toHaveBeenCalledWith(
      expect.anything(),
      'error-ratio',
      '1h',
    );
  });

  it('error rate: no data is not zero', async () => {
    const noData = {
      ...report,
      signals: [
        {
          ...report.signals[3],
          value: { ...(report.signals[3].value as object), errorRatio: null },
        },
      ],
    };
    await renderOnEntity(
      <ErrorRateCard />,
      mockVastaiApi({ getTriage: jest.fn(async () => noData) }),
    );
    expect(await screen.findByTestId('vastai-error-ratio')).toHaveTextContent(
      'unknown',
    );
    expect(screen.getByTestId('vastai-error-ratio-unknown')).toHaveTextContent(
      'Not measured: no calls were measured.',
    );
  });

  it('error rate: a failing scrape reads as unknown with its reason, never as 0 %', async () => {
    const scrapeDown = {
      ...report,
      signals: [
        {
          ...report.signals[3],
          state: 'unknown' as const,
          reason: 'scrape target down',
          value: {
            ...(report.signals[3].value as object),
            errorRatio: 0,
            scrapeUp: false,
          },
        },
      ],
    };
    await renderOnEntity(
      <ErrorRateCard />,
      mockVastaiApi({ getTriage: jest.fn(async () => scrapeDown) }),
    );
    expect(await screen.findByTestId('vastai-error-ratio')).toHaveTextContent(
      /^unknown$/,
    );
    expect(screen.getByTestId('vastai-error-ratio-unknown')).toHaveTextContent(
      'Not measured: scrape target down.',
    );
    expect(screen.queryByText(/0\.00 %/)).not.toBeInTheDocument();
  });

  it('error rate: says when the last hour has no data to draw', async () => {
    const api = mockVastaiApi({
      getTriage: jest.fn(async () => report),
      getMetricRange: jest.fn(async () => ({
        queryId: 'error-ratio',
        start: 0,
        end: 3600,
        stepSeconds: 60,
        unit: 'ratio',
        series: [
          {
            labels: {},
            points: [
              [0, null],
              [60, null],
            ],
          },
        ],
      })),
    });
    await renderOnEntity(<ErrorRateCard />, api);
    expect(
      await screen.findByText('Error ratio over the last hour: no data.'),
    ).toBeInTheDocument();
  });

  it('pods: readiness, restarts and waiting reasons', async () => {
    await renderOnEntity(<PodsCard />, mockVastaiApi());
    expect(await screen.findByText('1 of 2 ready')).toBeInTheDocument();
    expect(
      screen.getByText('CrashLoopBackOff / OOMKilled'),
    ).toBeInTheDocument();
    expect(screen.getByText('7')).toBeInTheDocument();
  });

  it('cards show the denied state', async () => {
    const denied = await responseError(403, 'Forbidden');
    await renderOnEntity(
      <VendorStatusCard />,
      mockVastaiApi({ getTriage: jest.fn(async () => Promise.reject(denied)) }),
    );
    expect(await screen.findByText(/Access denied/)).toBeInTheDocument();
  });

  it('a card survives a report without signals', async () => {
    await renderOnEntity(
      <IntegrationHealthCard />,
      mockVastaiApi({
        getTriage: jest.fn(async () => ({ severity: 'P3' } as TriageReport)),
      }),
    );
    expect(
      await screen.findByText('Health endpoint: not reported.'),
    ).toBeInTheDocument();
  });
});
