/*
 * The cross-product through the running backend and sandbox: scenarios x status page modes x
 * health shapes, each cell asserted on branch, severity, the side the verdict names and the
 * exact actions. CI runs the three partial-evidence scenarios (every mode and shape of each);
 * VASTAI_CROSS_PRODUCT=all (or a comma-separated list) runs other scenarios, and
 * VASTAI_RECORD_SIGNALS=1 also records the signals of each scenario it runs into the fixture of
 * the backend's pure cross-product test
 * (plugins/vastai-incident-backend/src/testing/recordedSandboxSignals.json).
 * The status source `none` needs a backend configured without one: the pure test covers it.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  expectedVerdict,
  HEALTH_SHAPES,
  SCENARIO_NAMES,
  ScenarioName,
  StatusSource,
} from '@internal/vastai-sandbox';
import { REPO_ROOT, Stack, startStack } from '../testing/stack';
import {
  control,
  readTriage,
  settle,
  TriageBody,
  verdictMismatch,
} from './verdicts';

const RECORD = process.env.VASTAI_RECORD_SIGNALS === '1';
const CHOSEN = process.env.VASTAI_CROSS_PRODUCT ?? '';
// In the order of SCENARIO_NAMES, `healthy` first: counters restart with every scenario, but
// Prometheus still counts an earlier scenario's errors as "errors in the last hour".
const SCENARIOS: readonly ScenarioName[] = SCENARIO_NAMES.filter(name =>
  CHOSEN === 'all'
    ? true
    : (CHOSEN
        ? CHOSEN.split(',')
        : ['vendor-unreachable', 'egress-blocked', 'vendor-slow-silent']
      ).includes(name),
);
const MODES = ['json', 'html', 'garbage', 'hang'] as const;
/** test/app-config.test.yaml: cache TTL 2 s, vendor probe every 1 s, rate window 30 s. */
const CACHE_TTL_MS = 2000;
const FRESHNESS_SECONDS = 6;
const RECORDING = path.join(
  REPO_ROOT,
  'plugins/vastai-incident-backend/src/testing/recordedSandboxSignals.json',
);

type Recorded = Record<string, unknown>;
/** Scenarios recorded in earlier runs are kept; the ones run now replace theirs. */
const recording: Record<string, Recorded> =
  RECORD && fs.existsSync(RECORDING)
    ? JSON.parse(fs.readFileSync(RECORDING, 'utf8')).scenarios
    : {};

/** A signal with its age at the report instead of a wall-clock time, so it replays at any time. */
function timeless(signal: TriageBody['signals'][number], report: TriageBody) {
  const { observedAt, ...rest } = signal;
  return {
    ...rest,
    ageMs: Math.max(0, Date.parse(report.generatedAt) - Date.parse(observedAt)),
  };
}

const bySource = (report: TriageBody, source: string) =>
  report.signals.find(s => s.source === source)!;

/**
 * The first report whose status page and health signals were read after `since` (or are the
 * stale last ones, served because the page hangs): a cell is judged on its own knobs only.
 */
async function reportAfter(stack: Stack, since: number) {
  const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
  const current = (report: TriageBody, source: string) => {
    const s = bySource(report, source);
    return s.stale || Date.parse(s.observedAt) >= since;
  };
  await sleep(CACHE_TTL_MS + 200);
  for (let i = 0; ; i++) {
    const report = await readTriage(stack);
    if (
      (current(report, 'vendor-status') &&
        current(report, 'integration-health')) ||
      i >= 20
    )
      return report;
    await sleep(500);
  }
}

describe('cross-product through the running stack', () => {
  let stack: Stack;
  const started = Date.now();
  let cells = 0;
  const failures: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ scenario: 'healthy' });
  }, 300_000);

  afterAll(async () => {
    await control(stack, '/statuspage/mode', { mode: 'json' }).catch(
      () => undefined,
    );
    await control(stack, '/health/shape', { shape: 1 }).catch(() => undefined);
    await stack?.stop();
    process.stdout.write(
      `cross-product through the running stack: ${cells} cells (${
        SCENARIOS.length
      } scenarios x ${MODES.length} status page modes x ${
        HEALTH_SHAPES.length
      } health shapes) in ${Math.round((Date.now() - started) / 1000)} s, ${
        failures.length
      } wrong\n`,
    );
    if (RECORD) {
      fs.writeFileSync(
        RECORDING,
        `${JSON.stringify(
          {
            recordedWith:
              'test/src/acceptance/crossProduct.test.ts with VASTAI_RECORD_SIGNALS=1 (test/app-config.test.yaml)',
            freshnessSeconds: FRESHNESS_SECONDS,
            scenarios: Object.fromEntries(
              SCENARIO_NAMES.filter(n => recording[n]).map(n => [
                n,
                recording[n],
              ]),
            ),
          },
          null,
          2, // as prettier formats JSON
        )}\n`,
      );
    }
  }, 60_000);

  it.each(SCENARIOS.map(s => [s]))(
    '%s: every status page mode and health shape',
    async scenario => {
      const expectOf = (mode: StatusSource) => expectedVerdict(scenario, mode);
      await control(stack, '/statuspage/mode', { mode: 'json' });
      await control(stack, '/health/shape', { shape: 1 });
      await stack.setScenario(scenario);
      const first = await settle(stack, expectOf('json'), {
        timeoutMs: 120_000,
      });
      process.stdout.write(
        `${scenario} (status page json, health shape 1), after ${first.seconds.toFixed(
          0,
        )} s: ${first.report.branch} ${first.report.severity} side=${
          first.report.side
        } actions=[${first.report.actions.map(x => x.id).join(', ')}]: ${
          first.report.verdict
        }\n`,
      );
      const record: Recorded = {
        settledSeconds: first.seconds,
        vendorApi: timeless(bySource(first.report, 'vendor-api'), first.report),
        metrics: timeless(bySource(first.report, 'metrics'), first.report),
        kubernetes: timeless(
          bySource(first.report, 'kubernetes'),
          first.report,
        ),
        vendorStatus: {} as Recorded,
        health: {} as Recorded,
      };
      const check = (label: string, mismatch: string[], report: TriageBody) => {
        cells += 1;
        if (mismatch.length)
          failures.push(
            `${scenario} ${label}: ${mismatch.join('; ')} -- ${report.verdict}`,
          );
      };

      for (const mode of MODES) {
        for (const shape of HEALTH_SHAPES) {
          const since = Date.now();
          await control(stack, '/statuspage/mode', { mode });
          await control(stack, '/health/shape', { shape });
          const report = await reportAfter(stack, since);
          if (RECORD) {
            if (shape === 1)
              (record.vendorStatus as Recorded)[mode] = timeless(
                bySource(report, 'vendor-status'),
                report,
              );
            if (mode === 'json')
              (record.health as Recorded)[shape] = timeless(
                bySource(report, 'integration-health'),
                report,
              );
          }
          const right = verdictMismatch(report, expectOf(mode)).length === 0;
          const cell = right
            ? { report, mismatch: [] }
            : await settle(stack, expectOf(mode), { timeoutMs: 20_000, since });
          check(`status=${mode} shape=${shape}`, cell.mismatch, cell.report);
        }
      }
      recording[scenario] = record;
      expect(failures.filter(f => f.startsWith(`${scenario} `))).toEqual([]);
    },
    600_000,
  );
});
