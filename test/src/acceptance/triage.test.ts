/*
 * Acceptance: every scenario of the Contract, through the running backend and sandbox.
 * The triage route must settle on the runbook's branch and severity for what the sandbox does.
 */
import { eventually } from '@internal/vastai-sandbox/testing';
import { getAsGuest, Stack, startStack } from '../testing/stack';

const TRIAGE =
  '/api/vastai-incident/v1/entities/default/component/vastai-integration/triage';

interface Expected {
  branch: string;
  severity: string | null;
  action?: string;
}

// Ordered so that each scenario follows one whose errors do not leak into its rate window.
const EXPECTED: Array<[string, Expected]> = [
  ['healthy', { branch: 'healthy', severity: null }],
  [
    'vendor-outage',
    { branch: 'vendor-incident', severity: 'P1', action: 'enable-fallback' },
  ],
  [
    'auth-failure',
    { branch: 'our-integration', severity: 'P1', action: 'rotate-api-key' },
  ],
  [
    'rate-limited',
    { branch: 'our-integration', severity: 'P2', action: 'queue-mode' },
  ],
  [
    'degraded-latency',
    { branch: 'vendor-incident', severity: 'P2', action: 'enable-fallback' },
  ],
  [
    'pods-crashing',
    { branch: 'our-infrastructure', severity: 'P1', action: 'rollout-restart' },
  ],
  ['recovered', { branch: 'resolved-or-intermittent', severity: 'P4' }],
  ['minor-errors', { branch: 'resolved-or-intermittent', severity: 'P3' }],
  ['monitoring-gap', { branch: 'resolved-or-intermittent', severity: 'P4' }],
];

describe('triage through the running backend and sandbox', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ scenario: 'healthy' });
    // Sign in once, after the catalog has the guest's groups: the tests' own timeouts are short.
    await stack.guestToken();
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('requires credentials', async () => {
    const res = await fetch(`${stack.backendUrl}${TRIAGE}`);
    expect(res.status).toBe(401);
  });

  it('answers 404 for an entity without the annotation', async () => {
    const res = await getAsGuest(
      stack,
      '/api/vastai-incident/v1/entities/default/component/billing-api/triage',
    );
    expect(res.status).toBe(404);
  });

  it.each(EXPECTED)(
    'scenario %s -> %j',
    async (scenario, expected) => {
      await stack.setScenario(scenario);
      const report = await eventually(() => getAsGuest(stack, TRIAGE), {
        what: `triage to settle on ${expected.branch}`,
        accept: res =>
          res.status === 200 &&
          res.body.branch === expected.branch &&
          res.body.severity === expected.severity,
        timeoutMs: 120_000,
        intervalMs: 2_000,
      });
      expect(report.body.signals.length).toBeGreaterThanOrEqual(5);
      for (const signal of report.body.signals) {
        expect(['ok', 'degraded', 'failing', 'unknown']).toContain(
          signal.state,
        );
      }
      expect(report.body.path.length).toBeGreaterThan(0);
      if (expected.action) {
        expect(report.body.actions.map((a: { id: string }) => a.id)).toContain(
          expected.action,
        );
      }
      // the operator key never leaves the backend
      expect(JSON.stringify(report.body)).not.toContain('sandbox-operator-key');
    },
    150_000,
  );
});
