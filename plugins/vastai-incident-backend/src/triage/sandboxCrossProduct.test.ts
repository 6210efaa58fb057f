import type { Signal } from '@vastai-incident/backstage-plugin-common';
import {
  expectedVerdict,
  HEALTH_SHAPES,
  SCENARIO_NAMES,
  STATUS_SOURCES,
} from '@internal/vastai-sandbox';
import { createVendorStatusProbe } from '../probes';
import recorded from '../testing/recordedSandboxSignals.json';
import { nodeHttpClient } from '../upstream';
import { triage } from './triage';
import type { FreshnessBudgets, TriageInput } from './types';

/*
 * Every sandbox scenario x every status source (the page's four modes, and none configured) x
 * every health shape, through the pure triage over signals recorded from the real sandbox by
 * the running product (test/src/acceptance/crossProduct.test.ts, VASTAI_RECORD_SIGNALS=1).
 */

type RecordedSignal = Omit<Signal, 'observedAt'> & { ageMs: number };
interface RecordedScenario {
  vendorApi: RecordedSignal;
  metrics: RecordedSignal;
  kubernetes: RecordedSignal;
  vendorStatus: Record<string, RecordedSignal>;
  health: Record<string, RecordedSignal>;
}
const RECORDING = recorded as unknown as {
  freshnessSeconds: number;
  scenarios: Record<string, RecordedScenario>;
};

/** Replayed at a fixed time, each signal as old as it was when the route answered. */
const NOW = Date.parse('2026-12-01T12:00:00.000Z');
function replay<T>({ ageMs, ...signal }: RecordedSignal): Signal<T> {
  return {
    ...signal,
    observedAt: new Date(NOW - ageMs).toISOString(),
  } as Signal<T>;
}

const BUDGETS = Object.fromEntries(
  ['vendorStatus', 'vendorApi', 'health', 'metrics', 'kubernetes'].map(k => [
    k,
    RECORDING.freshnessSeconds,
  ]),
) as FreshnessBudgets;

describe('triage over every sandbox scenario x status source x health shape', () => {
  let noStatusSource: Signal;
  beforeAll(async () => {
    // What the status probe emits when the source is configured as none.
    noStatusSource = {
      ...(await createVendorStatusProbe({
        type: 'none',
        http: nodeHttpClient,
        timeoutMs: 100,
        maxBytes: 100,
      })()),
      observedAt: new Date(NOW).toISOString(),
    };
  });

  it('has signals recorded for every scenario, status mode and health shape', () => {
    expect(Object.keys(RECORDING.scenarios).sort()).toEqual(
      [...SCENARIO_NAMES].sort(),
    );
    for (const r of Object.values(RECORDING.scenarios)) {
      expect(Object.keys(r.vendorStatus).sort()).toEqual(
        STATUS_SOURCES.filter(s => s !== 'none').sort(),
      );
      expect(Object.keys(r.health).sort()).toEqual(HEALTH_SHAPES.map(String));
    }
  });

  it('gives the right branch, severity, side and actions in every cell', () => {
    const started = performance.now();
    const wrong: string[] = [];
    let cells = 0;
    for (const scenario of SCENARIO_NAMES) {
      const r = RECORDING.scenarios[scenario];
      for (const status of STATUS_SOURCES) {
        for (const shape of HEALTH_SHAPES) {
          const input: TriageInput = {
            vendorStatus:
              status === 'none'
                ? (noStatusSource as TriageInput['vendorStatus'])
                : replay(r.vendorStatus[status]),
            vendorApi: replay(r.vendorApi),
            health: replay(r.health[shape]),
            metrics: replay(r.metrics),
            kubernetes: replay(r.kubernetes),
          };
          const o = triage(input, {}, { now: NOW, freshnessSeconds: BUDGETS });
          const got = {
            branch: o.branch,
            severity: o.severity,
            side: o.side,
            actions: o.actions.map(a => a.id).sort(),
          };
          const want = expectedVerdict(scenario, status);
          cells += 1;
          if (
            JSON.stringify(got) !==
            JSON.stringify({ ...want, actions: [...want.actions].sort() })
          ) {
            wrong.push(
              `${scenario} status=${status} shape=${shape}: got ${JSON.stringify(
                got,
              )} want ${JSON.stringify(want)} -- ${o.verdict}`,
            );
          }
        }
      }
    }
    const ms = performance.now() - started;
    process.stdout.write(
      `sandbox cross-product (pure triage over recorded signals): ${cells} cells in ${ms.toFixed(
        0,
      )} ms, ${wrong.length} wrong\n`,
    );
    expect(cells).toBe(
      SCENARIO_NAMES.length * STATUS_SOURCES.length * HEALTH_SHAPES.length,
    );
    expect(wrong).toEqual([]);
  });
});
