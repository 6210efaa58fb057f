/*
 * Time to a right verdict: from `healthy`, switch the sandbox into each failure scenario and time
 * how long until the triage route returns the scenario's branch and severity, as a ratio to
 * (vendor probe interval + rate window), the least any signal-driven verdict can take.
 * Goal: <= 1.0 for every scenario.
 */
import {
  expectedVerdict,
  SCENARIO_NAMES,
  ScenarioName,
} from '@internal/vastai-sandbox';
import { readTriage } from '../acceptance/verdicts';
import { startStack } from '../testing/stack';

/** As test/app-config.test.yaml sets them: vendor.probeMinIntervalSeconds, prometheus.rateWindow. */
const PROBE_INTERVAL_S = 1;
const RATE_WINDOW_S = 30;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Polls the triage route every `intervalMs` until `accept`; the seconds it took, or undefined. */
async function secondsUntil(
  read: () => Promise<{ branch: string; severity: string | null }>,
  accept: (r: { branch: string; severity: string | null }) => boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (accept(await read())) return (Date.now() - started) / 1000;
    await sleep(intervalMs);
  }
  return undefined;
}

export async function timeToVerdict(print: (line: string) => void) {
  const stack = await startStack({ scenario: 'healthy' });
  const budget = PROBE_INTERVAL_S + RATE_WINDOW_S;
  const ratios: number[] = [];
  print(
    `5. time to a right verdict after a switch from healthy (probe interval ${PROBE_INTERVAL_S} s + rate window ${RATE_WINDOW_S} s = ${budget} s; goal <= 1.0):`,
  );
  try {
    const read = () => readTriage(stack);
    // An error anywhere in the last hour keeps "healthy" at P4 ("errors earlier, none now"),
    // which is what the P4 scenarios conclude too: they run first, from a truly healthy world.
    const failures = SCENARIO_NAMES.filter(
      (s): s is Exclude<ScenarioName, 'healthy'> => s !== 'healthy',
    );
    const isP4 = (s: ScenarioName) =>
      expectedVerdict(s, 'json').severity === 'P4';
    const ordered = [
      ...failures.filter(isP4),
      ...failures.filter(s => !isP4(s)),
    ];
    for (const scenario of ordered) {
      // Healthy again, with the previous scenario's errors out of the rate window.
      await stack.setScenario('healthy');
      const calm = await secondsUntil(
        read,
        r => r.severity === null || (r.severity === 'P4' && !isP4(scenario)),
        180_000,
        1000,
      );
      if (calm === undefined) {
        print(`   ${scenario}: skipped, healthy did not settle within 180 s`);
        continue;
      }
      const want = expectedVerdict(scenario, 'json');
      await stack.setScenario(scenario);
      const seconds = await secondsUntil(
        read,
        r => r.branch === want.branch && r.severity === want.severity,
        180_000,
      );
      if (seconds === undefined) {
        print(`   ${scenario}: no right verdict within 180 s`);
        continue;
      }
      ratios.push(seconds / budget);
      print(
        `   ${scenario.padEnd(20)} ${seconds.toFixed(1).padStart(5)} s -> ${(
          seconds / budget
        ).toFixed(2)} (${want.branch}, ${want.severity})`,
      );
    }
    if (ratios.length)
      print(
        `   worst ratio ${Math.max(...ratios).toFixed(2)}, ${
          ratios.filter(r => r <= 1).length
        }/${ratios.length} scenarios within the goal`,
      );
  } finally {
    await stack.stop();
  }
}
