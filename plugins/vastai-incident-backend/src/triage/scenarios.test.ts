import {
  expectedVerdict,
  SCENARIO_NAMES,
} from '@internal/vastai-sandbox/testing';
import { triage } from './triage';
import {
  asStale,
  metrics,
  pods,
  probe,
  SCENARIO_SIGNALS,
  scrapeDown,
  statusPage,
  unknownSignal,
} from '../testing/testSignals';
import type { TriageInput } from './types';

/** The sandbox's own oracle; the recorded signals read the status page as JSON. */
const EXPECTED = Object.fromEntries(
  SCENARIO_NAMES.map(name => [name, expectedVerdict(name, 'json')]),
);

describe('triage of the sandbox scenarios', () => {
  it('covers every scenario of the sandbox', () => {
    expect(Object.keys(SCENARIO_SIGNALS).sort()).toEqual(
      Object.keys(EXPECTED).sort(),
    );
  });

  it.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    const outcome = triage(SCENARIO_SIGNALS[name]);
    expect({
      branch: outcome.branch,
      severity: outcome.severity,
      side: outcome.side,
      actions: outcome.actions.map(a => a.id),
    }).toEqual(expected);
    expect(outcome.path[outcome.path.length - 1].leadsTo).toBe(expected.branch);
  });

  it('says what decided a vendor outage, in words', () => {
    const { path, verdict } = triage(SCENARIO_SIGNALS['vendor-outage']);
    expect(path.map(s => [s.question, s.answer])).toEqual([
      ['vendor-api-errors', 'yes'],
      ['vendor-status-incident', 'yes'],
    ]);
    expect(path[0].evidence).toContain(
      'Vast.ai API: 5xx on 100% of our calls (600/min)',
    );
    expect(path[1].evidence).toBe(
      'status page: major outage ("Vast.ai API unavailable")',
    );
    expect(verdict).toMatch(/^Vast\.ai incident/);
  });

  it('reads auth failure from the service metrics, not from our probe (which uses the operator key)', () => {
    const { path, reasons } = triage(SCENARIO_SIGNALS['auth-failure']);
    expect(path[0].evidence).toContain(
      'Vast.ai API: 401/403 on 100% of our calls',
    );
    expect(path[1]).toMatchObject({
      answer: 'no',
      evidence: 'status page: all systems operational',
    });
    expect(reasons[0]).toContain('401/403');
  });

  it('names the missing scrape in a monitoring gap and does not call it fine', () => {
    const outcome = triage(SCENARIO_SIGNALS['monitoring-gap']);
    expect(outcome.path[0]).toMatchObject({
      question: 'vendor-api-errors',
      answer: 'unknown',
    });
    expect(outcome.path[0].evidence).toContain(
      'metrics: scrape target down (up = 0)',
    );
    expect(outcome.verdict).toContain('Could not check: metrics');
  });

  it('treats a metrics probe that could not reach Prometheus as a gap too', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      metrics: unknownSignal('metrics', 'Prometheus: 503 timeout'),
    });
    expect(outcome).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
    });
    expect(outcome.reasons).toContain(
      'metrics: could not be read (Prometheus: 503 timeout)',
    );
  });

  it('says the pods are why the service is down', () => {
    const { path, reasons } = triage(SCENARIO_SIGNALS['pods-crashing']);
    expect(path[1]).toMatchObject({
      question: 'service-healthy',
      answer: 'no',
    });
    expect(path[1].evidence).toBe(
      'service health: unhealthy, connection refused; pods: 0/2 ready, 2 in CrashLoopBackOff (last: OOMKilled)',
    );
    expect(reasons[0]).toBe(
      'the service is down: pods: 0/2 ready, 2 in CrashLoopBackOff (last: OOMKilled)',
    );
  });

  it('finds the service down from its pods even when its health endpoint cannot be read', () => {
    const crashing = SCENARIO_SIGNALS['pods-crashing'];
    const outcome = triage({
      ...crashing,
      health: unknownSignal('integration-health', 'timed out'),
    });
    expect(outcome).toMatchObject({
      branch: 'our-infrastructure',
      severity: 'P1',
    });
    expect(outcome.actions.map(a => a.id)).toEqual(['rollout-restart']);
  });

  it('finds the service down from its health endpoint when the pods cannot be read', () => {
    const crashing = SCENARIO_SIGNALS['pods-crashing'];
    const outcome = triage({
      ...crashing,
      kubernetes: unknownSignal('kubernetes'),
    });
    expect(outcome).toMatchObject({
      branch: 'our-infrastructure',
      severity: 'P1',
      actions: [],
    });
    expect(outcome.verdict).toContain('Could not check: metrics, pods.');
  });

  it('does not read an odd 404 to our probe as Vast.ai being down', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      vendorApi: probe('vendor-error', 404),
    });
    expect(outcome).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
      actions: [],
    });
  });

  it('reads a slow answer to our probe as Vast.ai being slow', () => {
    const slow = triage({
      ...SCENARIO_SIGNALS.healthy,
      vendorApi: probe('ok', 200, 6200),
    });
    expect(slow).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
    });
    expect(slow.reasons).toContain('our probe: Vast.ai answers slowly (6.2 s)');
  });
});

describe('after a remediation', () => {
  const outage = SCENARIO_SIGNALS['vendor-outage'];

  it('does not recommend fallback again once it is on, and counts it as mitigation', () => {
    const outcome = triage({
      ...outage,
      health: {
        ...outage.health,
        value: { status: 'degraded', fallback: true, vastaiConnected: false },
      },
      metrics: metrics(0),
      kubernetes: pods('ready', { fallback: true }),
    });
    expect(outcome).toMatchObject({
      branch: 'vendor-incident',
      severity: 'P2',
      actions: [],
    });
  });

  it('recommends turning fallback off once Vast.ai is healthy again', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      kubernetes: pods('ready', { fallback: true }),
    });
    expect(outcome.actions.map(a => a.id)).toEqual(['disable-fallback']);
    expect(outcome.branch).toBe('resolved-or-intermittent');
  });

  it('keeps fallback on while the status page still shows the incident', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      vendorStatus: statusPage('major', 'Vast.ai API unavailable'),
      kubernetes: pods('ready', { fallback: true }),
    });
    expect(outcome.actions.map(a => a.id)).not.toContain('disable-fallback');
  });

  it('recommends direct mode once queue mode has stopped the 429s', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      kubernetes: pods('ready', { queue: true }),
    });
    expect(outcome).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
    });
    expect(outcome.actions.map(a => a.id)).toEqual(['direct-mode']);
  });

  it('does not recommend direct mode when the 429 rate cannot be read', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      metrics: scrapeDown(),
      kubernetes: pods('ready', { queue: true }),
    });
    expect(outcome.actions).toEqual([]);
  });

  it('does not restart during a rollout already in progress', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      kubernetes: pods('rolling-out'),
    });
    expect(outcome.actions).toEqual([]);
    expect(outcome.branch).toBe('healthy');
  });
});

describe('unknown is never read as fine nor as an outage', () => {
  const outage = SCENARIO_SIGNALS['vendor-outage'];

  it('an unreadable status page with our probe also seeing 5xx: vendor-side, and says the page could not be read', () => {
    const outcome = triage({
      ...outage,
      vendorStatus: unknownSignal('vendor-status', 'status page answered HTML'),
    });
    expect(outcome.branch).toBe('vendor-incident');
    expect(outcome.path[1]).toMatchObject({
      question: 'vendor-status-incident',
      answer: 'unknown',
    });
    expect(outcome.path[1].evidence).toContain(
      'status page: could not be read (status page answered HTML)',
    );
    expect(outcome.path[1].evidence).toContain(
      "our probe: Vast.ai answers 503: the problem is on Vast.ai's side",
    );
  });

  it('an unreadable status page and a healthy probe: not claimed as a vendor incident', () => {
    const outcome = triage({
      ...outage,
      vendorStatus: unknownSignal('vendor-status'),
      vendorApi: probe('ok', 200),
    });
    expect(outcome.branch).toBe('our-integration');
    expect(outcome.verdict).toContain('status page could not be read');
    expect(outcome.actions.map(a => a.id)).toEqual(['enable-fallback']);
  });

  it('an old "all fine" from a status page that stopped loading does not deny the outage', () => {
    const outcome = triage({
      ...outage,
      vendorStatus: asStale(statusPage('none')),
    });
    expect(outcome).toMatchObject({
      branch: 'vendor-incident',
      severity: 'P1',
    });
    expect(outcome.path[1]).toMatchObject({
      answer: 'unknown',
      leadsTo: 'vendor-incident',
    });
    expect(outcome.path[1].evidence).toContain(
      'status page: all systems operational (stale: last read 22:40 UTC, 0 s ago)',
    );
  });

  it('an old incident on a status page that stopped loading still counts', () => {
    const outcome = triage({
      ...outage,
      vendorStatus: asStale(outage.vendorStatus),
      vendorApi: probe('ok', 200),
    });
    expect(outcome).toMatchObject({
      branch: 'vendor-incident',
      severity: 'P1',
    });
    expect(outcome.path[1]).toMatchObject({ answer: 'yes' });
  });

  it('everything unknown: a monitoring gap that says what could not be checked', () => {
    const outcome = triage({
      vendorStatus: unknownSignal('vendor-status'),
      vendorApi: unknownSignal('vendor-api'),
      health: unknownSignal('integration-health'),
      metrics: unknownSignal('metrics'),
      kubernetes: unknownSignal('kubernetes'),
    });
    expect(outcome).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
      actions: [],
    });
    expect(outcome.path.map(s => s.answer)).toEqual(['unknown', 'unknown']);
    expect(outcome.verdict).toContain(
      'Could not check: Vast.ai status page, Vast.ai API probe, service health, metrics, pods.',
    );
  });

  it('stale values count as evidence, and are named as stale', () => {
    const input: TriageInput = { ...outage, metrics: asStale(outage.metrics) };
    const outcome = triage(input);
    expect(outcome).toMatchObject({
      branch: 'vendor-incident',
      severity: 'P1',
    });
    expect(outcome.path[0].evidence).toMatch(
      /5xx on 100% of our calls \(600\/min\) \(stale: last read 22:40 UTC, 0 s ago\)/,
    );
    expect(outcome.verdict).toContain('Stale: metrics (0 s old).');
    const calm = triage({
      ...SCENARIO_SIGNALS.healthy,
      kubernetes: asStale(pods('ready')),
    });
    expect(calm).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
    });
  });
});

describe('thresholds', () => {
  it('are configurable per integration', () => {
    const trickle = {
      ...SCENARIO_SIGNALS.healthy,
      metrics: metrics(0.04, { server_error: 8 }),
    };
    expect(triage(trickle)).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P3',
    });
    expect(triage(trickle, { vendor5xxPerMinute: 5 })).toMatchObject({
      branch: 'our-integration',
      severity: 'P1',
    });
    expect(triage(trickle, { errorRatio: 0.03 })).toMatchObject({
      branch: 'our-integration',
      severity: 'P2',
    });
  });

  it('draws the runbook lines at "above", not "at"', () => {
    const at = (errors: Record<string, number>, extra = {}) =>
      triage({
        ...SCENARIO_SIGNALS.healthy,
        metrics: metrics(0.01, errors, extra),
      }).severity;
    expect(at({ server_error: 10 })).toBe('P3');
    expect(at({ server_error: 10.5 })).toBe('P1');
    expect(at({ rate_limited: 5 })).toBe('P3');
    expect(at({ rate_limited: 6 })).toBe('P2');
    expect(at({ auth_error: 0.1 })).toBe('P1');
    expect(at({}, { p99LatencySeconds: 5 })).toBe('P3');
    expect(at({}, { p99LatencySeconds: 5.1 })).toBe('P2');
  });
});
