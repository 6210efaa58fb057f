import type {
  Incident,
  LogsResponse,
  MetricQueryId,
  MetricRangeResponse,
} from '@vastai-incident/backstage-plugin-common';
import { METRIC_QUERY_IDS } from '@vastai-incident/backstage-plugin-common';
import {
  buildEvidenceBundle,
  EvidenceSources,
  metricWindow,
  MetricWindow,
  readTarGz,
} from './evidence';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Built three days after the incident was declared, two days after it was resolved. */
const NOW = Date.parse('2026-12-07T12:00:00Z');
const DECLARED = Date.parse('2026-12-04T10:00:00Z');
const RESOLVED = Date.parse('2026-12-04T13:30:00Z');

function incident(more: Partial<Incident> = {}): Incident {
  return {
    id: 'i-1',
    entityRef: 'component:default/vastai-integration',
    integration: 'vastai-integration',
    title: 'Vast.ai 5xx storm',
    severity: 'P1',
    status: 'resolved',
    impact: 'Offers missing',
    commander: 'user:default/ada',
    declaredBy: 'user:default/ada',
    declaredAt: new Date(DECLARED).toISOString(),
    updatedAt: new Date(RESOLVED).toISOString(),
    resolvedAt: new Date(RESOLVED).toISOString(),
    responseDueAt: new Date(DECLARED + 15 * MIN).toISOString(),
    overdue: false,
    ...more,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Sources that record what was asked and answer with one point per step of the window. */
function recordingSources() {
  const windows: Array<{ queryId: MetricQueryId; window: MetricWindow }> = [];
  const logCalls: number[] = [];
  const sources: EvidenceSources = {
    triage: async () => undefined,
    async logs(sinceMinutes): Promise<LogsResponse> {
      logCalls.push(sinceMinutes);
      return {
        sinceMinutes,
        truncated: false,
        lines: [
          { pod: 'p', time: iso(DECLARED - 30 * MIN), text: 'ERROR before' },
          { pod: 'p', time: iso(DECLARED - 10 * MIN), text: 'ERROR lead' },
          { pod: 'p', time: iso(DECLARED + HOUR), text: 'ERROR during' },
          { pod: 'p', time: iso(RESOLVED + HOUR), text: 'ERROR after' },
        ],
      };
    },
    async metricRange(queryId, window): Promise<MetricRangeResponse> {
      windows.push({ queryId, window });
      const points: Array<[number, number | null]> = [];
      for (let t = window.start; t <= window.end; t += window.stepSeconds) {
        points.push([t, 1]);
      }
      return {
        queryId,
        ...window,
        unit: 'per-minute',
        series: [{ labels: { error_type: 'server_error' }, points }],
      };
    },
    redactedConfig: () => ({}),
    versions: () => ({}),
  };
  return { sources, windows, logCalls };
}

async function build(
  sources: EvidenceSources,
  more: { incident?: Incident; leadMs?: number } = {},
) {
  const subject = more.incident ?? incident();
  const content = await buildEvidenceBundle({
    incident: subject,
    timeline: [],
    sources,
    redact: text => text,
    now: NOW,
    leadMs: more.leadMs,
  });
  const files = await readTarGz(content);
  return (name: string) => files.get(`incident-${subject.id}/${name}`)!;
}

describe('the evidence covers the incident window, not the hour before the build', () => {
  it('queries every metric over declared-at minus 15 min to resolved-at, days later', async () => {
    const { sources, windows } = recordingSources();
    const file = await build(sources);
    expect(windows.map(w => w.queryId)).toEqual([...METRIC_QUERY_IDS]);
    for (const { window } of windows) {
      expect(window.start * 1000).toBeLessThanOrEqual(DECLARED - 15 * MIN);
      expect(window.start * 1000).toBeGreaterThan(DECLARED - 15 * MIN - 60_000);
      expect(window.end * 1000).toBeGreaterThanOrEqual(RESOLVED);
      expect(window.end * 1000).toBeLessThan(RESOLVED + 60_000);
    }
    // The points kept are the window's, edges included.
    const series = JSON.parse(file('metrics/errors-by-class.json')).series[0]
      .points as Array<[number, number]>;
    expect(series[0][0] * 1000).toBeGreaterThanOrEqual(DECLARED - 15 * MIN);
    expect(series[0][0] * 1000).toBeLessThan(DECLARED - 14 * MIN);
    expect(series[series.length - 1][0] * 1000).toBeLessThanOrEqual(RESOLVED);
    expect(series[series.length - 1][0] * 1000).toBeGreaterThan(RESOLVED - MIN);
    expect(JSON.parse(file('MANIFEST.json')).window).toEqual({
      from: iso(DECLARED - 15 * MIN),
      to: iso(RESOLVED),
    });
  });

  it('keeps the log lines of the window only, read back far enough to reach its start', async () => {
    const { sources, logCalls } = recordingSources();
    const file = await build(sources);
    expect(logCalls).toEqual([Math.ceil((NOW - (DECLARED - 15 * MIN)) / MIN)]);
    const texts = JSON.parse(file('logs/error-lines.json')).lines.map(
      (l: { text: string }) => l.text,
    );
    expect(texts).toEqual(['ERROR lead', 'ERROR during']);
  });

  it('takes the configured lead time, and runs to now while the incident is open', async () => {
    const { sources, windows } = recordingSources();
    const open = incident({ status: 'identified', resolvedAt: undefined });
    const file = await build(sources, { incident: open, leadMs: 45 * MIN });
    expect(JSON.parse(file('MANIFEST.json')).window).toEqual({
      from: iso(DECLARED - 45 * MIN),
      to: iso(NOW),
    });
    const { window } = windows[0];
    expect(window.start * 1000).toBeLessThanOrEqual(DECLARED - 45 * MIN);
    expect(window.end * 1000).toBeGreaterThanOrEqual(NOW);
    const texts = JSON.parse(file('logs/error-lines.json')).lines.map(
      (l: { text: string }) => l.text,
    );
    expect(texts).toEqual([
      'ERROR before',
      'ERROR lead',
      'ERROR during',
      'ERROR after',
    ]);
  });
});

describe('metricWindow', () => {
  it('widens to the step and keeps at most about 720 points', () => {
    for (const span of [
      5 * MIN,
      HOUR,
      3.5 * HOUR,
      3 * 24 * HOUR,
      30 * 24 * HOUR,
    ]) {
      const from = DECLARED + 7_123;
      const w = metricWindow(from, from + span);
      expect(w.start * 1000).toBeLessThanOrEqual(from);
      expect(w.end * 1000).toBeGreaterThanOrEqual(from + span);
      expect(w.start % w.stepSeconds).toBe(0);
      expect(w.end % w.stepSeconds).toBe(0);
      expect(w.stepSeconds).toBeGreaterThanOrEqual(15);
      expect((w.end - w.start) / w.stepSeconds).toBeLessThanOrEqual(722);
    }
    expect(metricWindow(DECLARED, DECLARED + HOUR).stepSeconds).toBe(15);
  });
});
