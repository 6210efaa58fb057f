/*
 * Reading the triage route of the running stack against the scenarios' expected verdicts:
 * shared by the cross-product acceptance test and the time-to-verdict benchmark.
 */
import type { ExpectedVerdict } from '@internal/vastai-sandbox';
import { getAsGuest, Stack } from '../testing/stack';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export const TRIAGE_ROUTE =
  '/api/vastai-incident/v1/entities/default/component/vastai-integration/triage';

export interface TriageBody {
  branch: string;
  severity: string | null;
  side?: string;
  verdict: string;
  actions: Array<{ id: string }>;
  signals: Array<{ source: string; observedAt: string; stale?: boolean }>;
  path: unknown[];
  generatedAt: string;
}

/**
 * The triage report. A backend that is restarting (the dev backend reloads when its sources
 * change) refuses, answers 503 while shutting down and 404 until the plugin is mounted: waited for.
 */
export async function readTriage(stack: Stack): Promise<TriageBody> {
  let res: Awaited<ReturnType<typeof getAsGuest>> | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await getAsGuest(stack, TRIAGE_ROUTE);
      if (res.status !== 503 && res.status !== 404) break;
    } catch (error) {
      if (attempt >= 90) throw error;
    }
    if (attempt >= 90) break;
    await sleep(2000);
  }
  if (res?.status !== 200)
    throw new Error(
      `triage answered ${res?.status}: ${JSON.stringify(res?.body)}`,
    );
  return res.body as TriageBody;
}

/** What differs between a report and the expected verdict; empty when it is right. */
export function verdictMismatch(
  report: TriageBody,
  expected: ExpectedVerdict,
): string[] {
  const got = {
    branch: report.branch,
    severity: report.severity,
    side: report.side,
    actions: report.actions.map(a => a.id).sort(),
  };
  const want = { ...expected, actions: [...expected.actions].sort() };
  return (Object.keys(want) as Array<keyof typeof want>)
    .filter(k => JSON.stringify(got[k]) !== JSON.stringify(want[k]))
    .map(
      k =>
        `${k}: got ${JSON.stringify(got[k])}, want ${JSON.stringify(want[k])}`,
    );
}

/** A knob of the sandbox's control API (`/statuspage/mode`, `/health/shape`, `/scenario`). */
export async function control(
  stack: Stack,
  path: string,
  body: unknown,
): Promise<void> {
  const res = await fetch(`${stack.sandboxControlUrl}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok)
    throw new Error(`PUT ${path} answered ${res.status}: ${await res.text()}`);
}

/**
 * Polls the triage route until it gives the expected verdict, or the deadline passes. Returns the
 * last report, how long it took, and what was still wrong (empty when it settled).
 */
export async function settle(
  stack: Stack,
  expected: ExpectedVerdict,
  {
    timeoutMs,
    intervalMs = 1000,
    since = Date.now(),
  }: { timeoutMs: number; intervalMs?: number; since?: number },
): Promise<{ report: TriageBody; seconds: number; mismatch: string[] }> {
  const deadline = since + timeoutMs;
  for (;;) {
    const report = await readTriage(stack);
    const mismatch = verdictMismatch(report, expected);
    if (mismatch.length === 0 || Date.now() > deadline)
      return { report, seconds: (Date.now() - since) / 1000, mismatch };
    await sleep(intervalMs);
  }
}
