import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TRIAGE_THRESHOLDS } from '../../triage';
import {
  closedPort,
  LocalServer,
  startLocalServer,
} from '../../testing/localServer';
import { nodeHttpClient } from '../../upstream';
import { createHttpPrometheusClient, PrometheusClient } from './client';
import { createMetricsProbe } from './metricsProbe';
import { rangeBounds, renderQuery, QUERY_TEMPLATES } from './templates';
import type { MetricQueryId } from '@vastai-incident/backstage-plugin-common';
import { eventually } from '@internal/vastai-sandbox/testing';

jest.setTimeout(90_000);

const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
// A job name that would break naive string building: the real server proves the quoting.
const BUSY_JOB = 'vastai "busy" \\ svc';
const FLAT_JOB = 'vastai-flat';

/** A tiny /metrics of the integration service: counters that grow with every scrape. */
function exposition(scrape: number, busy: boolean): string {
  const requests = busy ? scrape * 10 : 100;
  const auth = busy ? scrape * 2 : 0;
  const lines = [
    '# TYPE vastai_requests_total counter',
    `vastai_requests_total{method="GET",endpoint="bundles",status="200"} ${
      requests - auth
    }`,
    `vastai_requests_total{method="GET",endpoint="bundles",status="401"} ${auth}`,
    '# TYPE vastai_errors_total counter',
    `vastai_errors_total{error_type="auth_error"} ${auth}`,
    `vastai_errors_total{error_type="rate_limited"} 0`,
    '# TYPE vastai_request_duration_seconds histogram',
    `vastai_request_duration_seconds_bucket{le="0.25"} 0`,
    `vastai_request_duration_seconds_bucket{le="0.5"} ${requests}`,
    `vastai_request_duration_seconds_bucket{le="+Inf"} ${requests}`,
    `vastai_request_duration_seconds_sum ${requests * 0.4}`,
    `vastai_request_duration_seconds_count ${requests}`,
  ];
  return `${lines.join('\n')}\n`;
}

describe('query templates against a real Prometheus', () => {
  let service: LocalServer;
  let prometheus: ChildProcess | undefined;
  let dataDir: string;
  let client: PrometheusClient;
  let baseUrl: string;

  beforeAll(async () => {
    // Fail, do not skip, when the binary is missing: these tests are the proof of the templates.
    if (!fs.existsSync(PROMETHEUS_BIN)) {
      throw new Error(
        `prometheus binary not found at ${PROMETHEUS_BIN} (set PROMETHEUS_BIN)`,
      );
    }
    let busyScrapes = 0;
    service = await startLocalServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      if (req.url === '/busy/metrics') res.end(exposition(++busyScrapes, true));
      else res.end(exposition(0, false));
    });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vastai-prom-test-'));
    const port = await closedPort();
    const target = `127.0.0.1:${service.port}`;
    // JSON is YAML: no quoting surprises with the hostile job name.
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: BUSY_JOB,
          metrics_path: '/busy/metrics',
          static_configs: [{ targets: [target] }],
        },
        {
          job_name: FLAT_JOB,
          metrics_path: '/flat/metrics',
          static_configs: [{ targets: [target] }],
        },
      ],
    };
    const configFile = path.join(dataDir, 'prometheus.yml');
    fs.writeFileSync(configFile, JSON.stringify(config));
    prometheus = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    baseUrl = `http://127.0.0.1:${port}`;
    client = createHttpPrometheusClient({
      baseUrl,
      http: nodeHttpClient,
      timeoutMs: 5000,
      maxBytes: 1 << 20,
    });
    await eventually(
      async () =>
        (
          await nodeHttpClient({
            url: `${baseUrl}/-/ready`,
            timeoutMs: 1000,
            maxBytes: 1000,
          })
        ).status === 200,
      { what: 'prometheus ready', timeoutMs: 30_000, intervalMs: 250 },
    );
    // Enough samples for rate() over a 5s window on both jobs.
    const q = renderQuery('error-ratio', { job: BUSY_JOB, rateWindow: '5s' });
    const hasData = (value: number | null) => value !== null;
    await eventually(() => client.instant(q), {
      what: 'busy job data',
      accept: hasData,
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await eventually(
      () =>
        client.instant(
          renderQuery('scrape-up', { job: FLAT_JOB, rateWindow: '5s' }),
        ),
      {
        what: 'flat job scraped',
        accept: hasData,
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    await new Promise(r => setTimeout(r, 3000));
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise(resolve => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await service?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const read = (
    id: MetricQueryId | 'errors-last-hour' | 'errors-now',
    job: string,
  ) => client.instant(renderQuery(id, { job, rateWindow: '5s' }));

  it('computes the busy job readings from real samples', async () => {
    const ratio = await read('error-ratio', BUSY_JOB);
    expect(ratio).toBeCloseTo(0.2, 1);
    const auth = (await read('auth-error-rate', BUSY_JOB))!;
    expect(auth).toBeGreaterThan(60); // 2 per 1s scrape = 120/min, give or take scrape jitter
    expect(auth).toBeLessThan(200);
    expect(await read('rate-limited-rate', BUSY_JOB)).toBe(0); // a real zero
    expect(await read('vendor-5xx-rate', BUSY_JOB)).toBeNull(); // no series: no data, not zero
    expect(await read('p99-latency', BUSY_JOB)).toBeCloseTo(0.4975, 3);
    expect(await read('scrape-up', BUSY_JOB)).toBe(1);
    const byClass = await client.instantVector(
      renderQuery('errors-by-class', { job: BUSY_JOB, rateWindow: '5s' }),
    );
    expect(byClass.map(s => s.labels.error_type).sort()).toEqual([
      'auth_error',
      'rate_limited',
    ]);
  });

  it('reads 0/0 as no data (NaN -> null) and absent jobs as null', async () => {
    expect(await read('error-ratio', FLAT_JOB)).toBeNull();
    expect(await read('rate-limited-rate', FLAT_JOB)).toBe(0);
    for (const id of Object.keys(QUERY_TEMPLATES) as MetricQueryId[]) {
      expect(await read(id, 'no-such-job')).toBeNull();
    }
  });

  it('accepts every template with hostile job values, and matches nothing with them', async () => {
    const hostile = [
      '"} or vector(1)',
      '"} or vector(1) or up{job="',
      'a\nb',
      '\\',
      '{}',
      `${BUSY_JOB}"`,
    ];
    for (const job of hostile) {
      for (const id of Object.keys(QUERY_TEMPLATES) as MetricQueryId[]) {
        await expect(read(id, job)).resolves.toBeNull();
      }
    }
  });

  it('answers range queries with start, end and step', async () => {
    const nowMs = Date.now();
    const bounds = {
      start: Math.floor(nowMs / 1000) - 20,
      end: Math.floor(nowMs / 1000),
      stepSeconds: 2,
    };
    const series = await client.range(
      renderQuery('scrape-up', { job: BUSY_JOB, rateWindow: '5s' }),
      bounds,
    );
    expect(series).toHaveLength(1);
    expect(series[0].points.length).toBeGreaterThanOrEqual(2);
    const times = series[0].points.map(([t]) => t);
    for (let i = 1; i < times.length; i++)
      expect(times[i] - times[i - 1]).toBe(bounds.stepSeconds);
    for (const [t, v] of series[0].points) {
      expect(t).toBeGreaterThanOrEqual(bounds.start);
      expect(t).toBeLessThanOrEqual(bounds.end);
      expect(v).toBe(1);
    }
    // The chart ranges are valid range queries too (Prometheus would refuse too many points).
    for (const range of ['1h', '6h', '24h'] as const) {
      await expect(
        client.range(
          renderQuery('error-ratio', { job: BUSY_JOB, rateWindow: '5s' }),
          rangeBounds(range, Date.now()),
        ),
      ).resolves.toBeDefined();
    }
  });

  it('reports Prometheus errors instead of numbers', async () => {
    await expect(client.instant('sum(')).rejects.toThrow(/bad_data/);
  });

  it('feeds the metrics probe', async () => {
    const probe = createMetricsProbe({
      client,
      job: BUSY_JOB,
      rateWindow: '5s',
      thresholds: DEFAULT_TRIAGE_THRESHOLDS,
    });
    const signal = await probe();
    expect(signal.source).toBe('metrics');
    expect(signal.state).toBe('failing'); // auth errors above 0/min
    expect(signal.value?.scrapeUp).toBe(true);
    expect(signal.value?.vendor5xxPerMinute).toBeNull();
    expect(signal.value?.errorsPerMinuteByClass?.auth_error).toBeGreaterThan(0);
    const none = await createMetricsProbe({
      client,
      job: 'no-such-job',
      rateWindow: '5s',
      thresholds: DEFAULT_TRIAGE_THRESHOLDS,
    })();
    expect(none.state).toBe('unknown');
    expect(none.reason).toMatch(/no data/);
  });
});
