import type {
  ActionId,
  VendorStatusValue,
} from '@vastai-incident/backstage-plugin-common';
import {
  aged,
  asStale,
  health,
  metrics,
  pods,
  probe,
  SCENARIO_SIGNALS,
  statusNotConfigured,
  statusPage,
  unknownSignal,
} from '../testing/testSignals';
import { triage } from './triage';
import type { TriageInput } from './types';

/*
 * When the vendor's own signals are missing: unreachable, slow, stale, a silent status page.
 * The answer must come from our probe, the service's metrics and its health.
 */

const ids = (input: TriageInput) => triage(input).actions.map(a => a.id);
const REVERTS: ActionId[] = ['disable-fallback', 'direct-mode'];
const onFallback = (input: TriageInput): TriageInput => ({
  ...input,
  health: health('degraded', { fallback: true, vastaiConnected: false }),
  metrics: metrics(0),
  kubernetes: pods('ready', { fallback: true }),
});

describe('Vast.ai unreachable, status page still "operational"', () => {
  const input = SCENARIO_SIGNALS['vendor-unreachable'];

  it("is a vendor incident on Vast.ai's side, P1, fallback recommended", () => {
    const outcome = triage(input);
    expect(outcome).toMatchObject({
      branch: 'vendor-incident',
      severity: 'P1',
      side: 'vastai',
    });
    expect(outcome.verdict).toMatch(
      /^Vast\.ai is unreachable.*on Vast\.ai's side/,
    );
    expect(outcome.actions.map(a => a.id)).toEqual(['enable-fallback']);
    expect(outcome.path[1]).toMatchObject({
      question: 'vendor-status-incident',
      answer: 'unknown',
      leadsTo: 'vendor-incident',
    });
    expect(outcome.path[1].evidence).toContain('status pages lag real outages');
    expect(outcome.path[1].evidence).toContain(
      "the service's calls get no answer either: the problem is on Vast.ai's side",
    );
  });

  it('the same whatever the status page says or fails to say', () => {
    for (const vendorStatus of [
      statusNotConfigured(),
      unknownSignal<VendorStatusValue>(
        'vendor-status',
        'status page answered HTML',
      ),
      asStale(statusPage('none')),
      statusPage('major', 'API outage'),
    ]) {
      expect(triage({ ...input, vendorStatus })).toMatchObject({
        branch: 'vendor-incident',
        severity: 'P1',
        side: 'vastai',
      });
    }
  });

  it('a timeout of our probe is the same evidence as a refused connection', () => {
    expect(triage({ ...input, vendorApi: probe('timeout') })).toMatchObject({
      branch: 'vendor-incident',
      severity: 'P1',
    });
  });

  it('with fallback on: P2, and never "turn fallback off"', () => {
    const outcome = triage(onFallback(input));
    expect(outcome).toMatchObject({
      branch: 'vendor-incident',
      severity: 'P2',
    });
    expect(outcome.actions).toEqual([]);
  });

  it('draws the probe reading with its age, latency and "unreachable" on the path', () => {
    const step = triage(input).path[0];
    expect(step.readings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: 'vendor-api',
          unreachable: true,
          ageSeconds: 0,
          stale: false,
          latencyMs: 2,
        }),
      ]),
    );
  });
});

describe('our probe reaches Vast.ai, the service cannot: our network or egress', () => {
  const input = SCENARIO_SIGNALS['egress-blocked'];

  it('is our infrastructure, on our side, and says network or egress', () => {
    const outcome = triage(input);
    expect(outcome).toMatchObject({
      branch: 'our-infrastructure',
      severity: 'P1',
      side: 'ours',
      actions: [],
    });
    expect(outcome.verdict).toContain('on our side (network or egress)');
    expect(outcome.path[0]).toMatchObject({ answer: 'no' });
    expect(outcome.path[1].evidence).toContain(
      "while our probe from the portal's network reaches it",
    );
  });

  it('needs our probe to be fresh: an old "answers OK" cannot place it', () => {
    const outcome = triage(
      { ...input, vendorApi: aged(probe('ok', 200), 600) },
      {},
      { now: Date.parse(input.metrics.observedAt) },
    );
    expect(outcome.branch).not.toBe('our-infrastructure');
    expect(outcome.side).not.toBe('ours');
    expect(outcome.verdict).toContain('Stale: Vast.ai API probe (10 min old)');
  });

  it('the portal alone failing to reach Vast.ai, with the service fine, is not an outage', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      vendorApi: probe('unreachable'),
    });
    expect(outcome).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
      actions: [],
    });
    expect(outcome.reasons.join('\n')).toContain(
      "the portal's network, not Vast.ai",
    );
  });
});

describe('Vast.ai slow, status page silent or unreadable', () => {
  it.each([
    ['operational', statusPage('none')],
    ['not configured', statusNotConfigured()],
    ['garbage', unknownSignal('vendor-status', 'status page answered garbage')],
    [
      'html',
      unknownSignal('vendor-status', 'status page answered HTML, not JSON'),
    ],
  ])(
    'status page %s: Vast.ai degraded, P2, fallback offered',
    (_, vendorStatus) => {
      const outcome = triage({
        ...SCENARIO_SIGNALS['vendor-slow-silent'],
        vendorStatus: vendorStatus as TriageInput['vendorStatus'],
      });
      expect(outcome).toMatchObject({
        branch: 'vendor-incident',
        severity: 'P2',
        side: 'vastai',
      });
      expect(outcome.actions).toEqual([
        expect.objectContaining({
          id: 'enable-fallback',
          reason: expect.stringMatching(/^an option while Vast\.ai is slow/),
        }),
      ]);
      expect(outcome.verdict).not.toMatch(/credentials|pods, memory/);
    },
  );

  it('reads the probe against its own baseline: 1.8 s where it usually takes 8 ms', () => {
    const outcome = triage(SCENARIO_SIGNALS['vendor-slow-silent']);
    expect(outcome.path[1].evidence).toContain(
      'our probe: Vast.ai answers slowly (1.8 s, usually 8 ms)',
    );
    expect(outcome.path[0].readings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ latencyMs: 1800, baselineLatencyMs: 8 }),
      ]),
    );
  });

  it('a probe as fast as usual does not place a slow service on Vast.ai', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS['vendor-slow-silent'],
      vendorApi: probe('ok', 200, 9, 8),
    });
    expect(outcome).toMatchObject({ branch: 'our-integration', side: 'ours' });
  });

  it('a slow probe alone, with the service fast, is only a note', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      vendorApi: probe('ok', 200, 1800, 8),
    });
    expect(outcome).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
      actions: [],
    });
  });
});

describe('reverts only on fresh evidence that Vast.ai is healthy', () => {
  const recovered = onFallback(SCENARIO_SIGNALS.healthy);
  const queued = {
    ...SCENARIO_SIGNALS.healthy,
    kubernetes: pods('ready', { queue: true }),
  };

  it('fresh probe OK and normal error rate: the way back is offered', () => {
    expect(ids(recovered)).toEqual(['disable-fallback']);
    expect(ids(queued)).toEqual(['direct-mode']);
  });

  it.each([
    [
      'a stale probe "OK"',
      (i: TriageInput) => ({ ...i, vendorApi: asStale(i.vendorApi) }),
    ],
    [
      'a probe "OK" older than its budget',
      (i: TriageInput) => ({ ...i, vendorApi: aged(i.vendorApi, 120) }),
    ],
    [
      'metrics older than their budget',
      (i: TriageInput) => ({ ...i, metrics: aged(i.metrics, 120) }),
    ],
    [
      'an unreachable probe',
      (i: TriageInput) => ({ ...i, vendorApi: probe('unreachable') }),
    ],
    [
      'a slow probe',
      (i: TriageInput) => ({ ...i, vendorApi: probe('ok', 200, 2500, 8) }),
    ],
    [
      'an error rate above the line',
      (i: TriageInput) => ({ ...i, metrics: metrics(0.2, { timeout: 30 }) }),
    ],
  ])('%s: no revert', (_, change) => {
    for (const input of [recovered, queued]) {
      const got = ids(change(input));
      expect(got.filter(id => REVERTS.includes(id))).toEqual([]);
    }
  });

  it('freshness budgets are per source and configurable', () => {
    const input = { ...recovered, vendorApi: aged(recovered.vendorApi, 120) };
    const outcome = triage(input, {}, { freshnessSeconds: { vendorApi: 300 } });
    expect(outcome.actions.map(a => a.id)).toEqual(['disable-fallback']);
  });
});

describe('the status source configured as none', () => {
  it('is a choice, not a monitoring gap: healthy stays healthy', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      vendorStatus: statusNotConfigured(),
    });
    expect(outcome).toMatchObject({ branch: 'healthy', severity: null });
    expect(outcome.verdict).not.toContain('Could not check');
  });
});

describe("our probe refused by Vast.ai's edge", () => {
  it('is not read as a key problem nor as Vast.ai down', () => {
    const outcome = triage({
      ...SCENARIO_SIGNALS.healthy,
      vendorApi: probe('edge-blocked', 403),
    });
    expect(outcome).toMatchObject({
      branch: 'resolved-or-intermittent',
      severity: 'P4',
      actions: [],
    });
    expect(outcome.reasons).toContain(
      "our probe: Vast.ai's edge refuses the portal's network 403, not a key problem: our probe cannot vouch for Vast.ai",
    );
  });
});
