import type {
  ActionId,
  Branch,
  IntegrationHealthValue,
  KubernetesValue,
  MetricsValue,
  Severity,
  Signal,
  VendorApiValue,
  VendorStatusValue,
} from '@vastai-incident/backstage-plugin-common';
import { triage } from './triage';
import {
  asStale,
  health,
  healthRefused,
  metrics,
  pods,
  probe,
  scrapeDown,
  statusNotConfigured,
  statusPage,
  unknownSignal,
} from '../testing/testSignals';
import { invariantViolations } from '../testing/triageInvariants';
import type { TriageInput } from './types';

/*
 * Every combination of the signal states that matter, generated, each checked against an
 * oracle written from the runbook's tables (not from the implementation), plus invariants.
 */

// --- the dimensions ------------------------------------------------------------------------------

/** What the service's metrics say; `q1` is the runbook's first answer they alone give. */
const METRICS = {
  clean: { signal: () => metrics(0), q1: 'no', severity: null, no429: true },
  auth: {
    signal: () => metrics(1, { auth_error: 600 }),
    q1: 'yes',
    severity: 'P1',
    no429: true,
  },
  '429': {
    signal: () => metrics(0.8, { rate_limited: 480 }),
    q1: 'yes',
    severity: 'P2',
    no429: false,
  },
  '429-trickle': {
    signal: () => metrics(0.01, { rate_limited: 3 }),
    q1: 'no',
    severity: 'P3',
    no429: false,
  },
  '5xx': {
    signal: () => metrics(1, { server_error: 600 }),
    q1: 'yes',
    severity: 'P1',
    no429: true,
  },
  latency: {
    signal: () => metrics(0, {}, { p99LatencySeconds: 6.4 }),
    q1: 'yes',
    severity: 'P2',
    no429: true,
  },
  'timeout-trickle': {
    signal: () => metrics(0.02, { timeout: 12 }),
    q1: 'no',
    severity: 'P3',
    no429: true,
  },
  'timeout-high': {
    signal: () => metrics(0.12, { timeout: 70 }),
    q1: 'yes',
    severity: 'P2',
    no429: true,
  },
  // Connections fail: the service gets no answer at all.
  unanswered: {
    signal: () => metrics(1, { network_error: 600 }),
    q1: 'yes',
    severity: 'P1',
    no429: true,
  },
  'recent-quiet': {
    signal: () => metrics(0, {}, { recentErrorsButNowQuiet: true }),
    q1: 'no',
    severity: 'P4',
    no429: true,
  },
  'scrape-down': {
    signal: () => scrapeDown(),
    q1: 'unknown',
    severity: 'P4',
    no429: false,
  },
  unknown: {
    signal: () => unknownSignal<MetricsValue>('metrics'),
    q1: 'unknown',
    severity: 'P4',
    no429: false,
  },
} as const;

const STATUS = {
  none: () => statusPage('none'),
  minor: () => statusPage('minor', 'Elevated API latency'),
  major: () => statusPage('major', 'API outage'),
  unknown: () =>
    unknownSignal<VendorStatusValue>(
      'vendor-status',
      'status page answered HTML',
    ),
  'not-configured': () => statusNotConfigured(),
} as const;

const PROBE = {
  ok: () => probe('ok', 200),
  // 1.8 s where it usually takes 8 ms.
  slow: () => probe('ok', 200, 1800, 8),
  '503': () => probe('vendor-error', 503),
  unreachable: () => probe('unreachable'),
  timeout: () => probe('timeout'),
  'operator-key-refused': () => probe('auth-failure', 401),
  'edge-403': () => probe('edge-blocked', 403),
  unknown: () => unknownSignal<VendorApiValue>('vendor-api'),
} as const;

type Switches = { fallback: boolean; queue: boolean };
const SWITCHES: Record<string, Switches> = {
  none: { fallback: false, queue: false },
  fallback: { fallback: true, queue: false },
  queue: { fallback: false, queue: true },
};

/** Our service: its health endpoint and its pods, which carry the fallback/queue switches. */
const SERVICE: Record<
  string,
  (s: Switches) => {
    health: Signal<IntegrationHealthValue>;
    kubernetes: Signal<KubernetesValue>;
  }
> = {
  healthy: s => ({
    // On fallback the service reports itself degraded, by its own choice.
    health: s.fallback
      ? health('degraded', { fallback: true })
      : health('healthy'),
    kubernetes: pods('ready', s),
  }),
  'rolling-out': s => ({
    health: health('healthy'),
    kubernetes: pods('rolling-out', s),
  }),
  'pods-down': s => ({
    health: healthRefused(),
    kubernetes: pods('all-crashing', s),
  }),
  'one-pod-crashing': s => ({
    health: health('healthy'),
    kubernetes: pods('one-crashing', s),
  }),
  'health-unknown': s => ({
    health: unknownSignal('integration-health'),
    kubernetes: pods('ready', s),
  }),
  unhealthy: s => ({
    health: health('unhealthy', { fallback: s.fallback }),
    kubernetes: pods('ready', s),
  }),
  'all-unknown': () => ({
    health: unknownSignal('integration-health'),
    kubernetes: unknownSignal('kubernetes'),
  }),
};

const STALE = [
  'none',
  'vendorStatus',
  'vendorApi',
  'health',
  'metrics',
  'kubernetes',
] as const;

interface Combination {
  metrics: keyof typeof METRICS;
  status: keyof typeof STATUS;
  probe: keyof typeof PROBE;
  service: string;
  switches: string;
  stale: (typeof STALE)[number];
}

function* combinations(): Generator<Combination> {
  for (const m of Object.keys(METRICS) as Array<keyof typeof METRICS>)
    for (const status of Object.keys(STATUS) as Array<keyof typeof STATUS>)
      for (const p of Object.keys(PROBE) as Array<keyof typeof PROBE>)
        for (const service of Object.keys(SERVICE))
          for (const switches of Object.keys(SWITCHES))
            for (const stale of STALE)
              yield { metrics: m, status, probe: p, service, switches, stale };
}

function inputOf(c: Combination): TriageInput {
  const input: TriageInput = {
    vendorStatus: STATUS[c.status](),
    vendorApi: PROBE[c.probe](),
    metrics: METRICS[c.metrics].signal(),
    ...SERVICE[c.service](SWITCHES[c.switches]),
  };
  if (c.stale !== 'none')
    (input as any)[c.stale] = asStale(input[c.stale] as Signal);
  return input;
}

// --- the oracle, from the runbook ----------------------------------------------------------------

/** Vast.ai down: a complete outage, unless our fallback keeps serving (then degraded). */
function vendorDownSeverity(vendorDown: boolean, fallbackOn: boolean) {
  if (!vendorDown) return null;
  return fallbackOn ? 'P2' : 'P1';
}

const mostSevere = (list: Array<Severity | null>): Severity | null =>
  list.filter((s): s is Severity => s !== null).sort()[0] ?? null;

function expected(c: Combination): {
  branch: Branch;
  severity: Severity | null;
  actions: ActionId[];
} {
  const m = METRICS[c.metrics];
  const kubeKnown = c.service !== 'all-unknown';
  const fallbackOn = SWITCHES[c.switches].fallback && kubeKnown;
  const queueOn = SWITCHES[c.switches].queue && kubeKnown;
  const metricsReadable =
    c.metrics !== 'scrape-down' && c.metrics !== 'unknown';
  const metricsFresh = c.stale !== 'metrics';
  const probeFresh = c.stale !== 'vendorApi';
  const probeAnswers = c.probe === 'ok' || c.probe === 'slow';
  const probeUnreachable = c.probe === 'unreachable' || c.probe === 'timeout';
  const unanswered = c.metrics === 'unanswered' || c.metrics === 'timeout-high';
  const latencyBreach = c.metrics === 'latency';
  // The two vantage points: our probe from the portal, the service's own calls.
  const serviceGetsAnswers =
    !fallbackOn && metricsReadable && metricsFresh && !unanswered;
  const vendorUnreachable = probeUnreachable && !serviceGetsAnswers;
  const portalCannotReach = probeUnreachable && serviceGetsAnswers;
  const egress =
    !fallbackOn && c.metrics === 'unanswered' && probeAnswers && probeFresh;
  const vendorDown = c.probe === '503' || vendorUnreachable;
  const vendorTrouble = vendorDown || (c.probe === 'slow' && latencyBreach);
  const statusIncident = c.status === 'minor' || c.status === 'major';
  const q1 = (m.q1 === 'yes' && !egress) || vendorDown;
  const callsNormal = [
    'clean',
    '429-trickle',
    'timeout-trickle',
    'recent-quiet',
  ];
  // Fresh evidence that Vast.ai is healthy: our probe OK now and the service's calls normal.
  const vendorHealthy =
    c.probe === 'ok' &&
    probeFresh &&
    !statusIncident &&
    metricsFresh &&
    callsNormal.includes(c.metrics);

  let branch: Branch;
  if (q1) {
    branch =
      statusIncident || vendorTrouble ? 'vendor-incident' : 'our-integration';
  } else {
    const serviceUnwell =
      egress ||
      ['pods-down', 'one-pod-crashing', 'unhealthy'].includes(c.service);
    branch = serviceUnwell ? 'our-infrastructure' : 'resolved-or-intermittent';
  }

  const metricsSeverity = (): Severity | null => {
    if (c.metrics === '5xx' && fallbackOn) return 'P2';
    if (c.metrics === 'unanswered' && !egress)
      return vendorDownSeverity(true, fallbackOn);
    return m.severity;
  };
  const staleCounts =
    c.stale !== 'none' &&
    !(c.stale === 'vendorStatus' && c.status === 'not-configured');
  const severity = mostSevere([
    metricsSeverity(),
    c.status === 'unknown' || (statusIncident && !q1) ? 'P4' : null,
    vendorDownSeverity(vendorDown, fallbackOn),
    c.probe === 'slow' && !latencyBreach ? 'P4' : null,
    ['operator-key-refused', 'edge-403', 'unknown'].includes(c.probe)
      ? 'P4'
      : null,
    portalCannotReach ? 'P4' : null,
    ({
      'pods-down': 'P1',
      'one-pod-crashing': 'P2',
      'health-unknown': 'P4',
      'all-unknown': 'P4',
    }[c.service] as Severity) ?? null,
    c.service === 'unhealthy' && (!q1 || fallbackOn) ? 'P1' : null,
    fallbackOn && vendorHealthy ? 'P3' : null,
    queueOn && m.no429 ? 'P4' : null,
    staleCounts ? 'P4' : null,
  ]);
  if (severity === null) branch = 'healthy';

  const actions: ActionId[] = [];
  if (c.metrics === 'auth') actions.push('rotate-api-key');
  if (
    !fallbackOn &&
    (c.metrics === '5xx' || vendorTrouble || branch === 'vendor-incident')
  )
    actions.push('enable-fallback');
  if (c.metrics === '429' && !queueOn) actions.push('queue-mode');
  if (c.service === 'pods-down' || c.service === 'one-pod-crashing')
    actions.push('rollout-restart');
  if (fallbackOn && vendorHealthy) actions.push('disable-fallback');
  if (queueOn && vendorHealthy && m.no429) actions.push('direct-mode');
  return { branch, severity, actions: actions.sort() };
}

// --- the tests -------------------------------------------------------------------------------------

const describeCombination = (c: Combination) =>
  `metrics=${c.metrics} status=${c.status} probe=${c.probe} service=${c.service} switches=${c.switches} stale=${c.stale}`;

describe('triage over every combination of signal states', () => {
  const all = [...combinations()].map(c => {
    const input = inputOf(c);
    return { c, input, outcome: triage(input) };
  });

  it('generates the whole space', () => {
    expect(all.length).toBe(12 * 5 * 8 * 7 * 3 * 6);
  });

  it('matches the runbook table on branch, severity and actions', () => {
    const mismatches: string[] = [];
    for (const { c, outcome: o } of all) {
      const got = {
        branch: o.branch,
        severity: o.severity,
        actions: o.actions.map(a => a.id).sort(),
      };
      const want = expected(c);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(
          `${describeCombination(c)}\n  got  ${JSON.stringify(
            got,
          )}\n  want ${JSON.stringify(want)}`,
        );
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(mismatches.length).toBe(0);
  });

  it('keeps every invariant', () => {
    const violations: string[] = [];
    for (const { c, input, outcome } of all) {
      const bad = invariantViolations(input, outcome);
      if (bad.length)
        violations.push(`${describeCombination(c)}: ${bad.join(', ')}`);
    }
    expect(violations.slice(0, 10)).toEqual([]);
  });

  it('reaches every branch and every severity', () => {
    const outcomes = all.map(x => x.outcome);
    expect(new Set(outcomes.map(o => o.branch))).toEqual(
      new Set([
        'healthy',
        'vendor-incident',
        'our-integration',
        'our-infrastructure',
        'resolved-or-intermittent',
      ]),
    );
    expect(new Set(outcomes.map(o => o.severity))).toEqual(
      new Set([null, 'P1', 'P2', 'P3', 'P4']),
    );
  });
});

// --- property-style: random readings, invariants and monotonicity --------------------------------

/** mulberry32: a tiny seeded PRNG, so a failure reproduces. */
function prng(initialSeed: number) {
  let seed = initialSeed;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInput(rand: () => number): TriageInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const maybe = <T>(x: T, pNull = 0.15): T | null =>
    rand() < pNull ? null : x;
  const rate = () =>
    pick([0, 0, rand() * 5, rand() * 20, rand() * 600, NaN, Infinity]);
  const errors = {
    auth_error: rate(),
    rate_limited: rate(),
    server_error: rate(),
    timeout: rate(),
  };
  const m = metrics(rand() * pick([0.01, 0.1, 1]), errors, {
    errorRatio: maybe(pick([0, rand() * 0.05, rand(), NaN])),
    authErrorsPerMinute: maybe(errors.auth_error),
    rateLimitedPerMinute: maybe(errors.rate_limited),
    vendor5xxPerMinute: maybe(errors.server_error),
    p99LatencySeconds: maybe(rand() * 10),
    scrapeUp: pick([true, true, true, false, null]),
    recentErrorsButNowQuiet: rand() < 0.2,
  });
  const sw = { fallback: rand() < 0.3, queue: rand() < 0.3 };
  const input: TriageInput = {
    vendorStatus: pick(Object.values(STATUS))(),
    vendorApi: pick(Object.values(PROBE))(),
    metrics: rand() < 0.1 ? unknownSignal('metrics') : m,
    health: pick([
      health('healthy'),
      health('degraded', { fallback: sw.fallback }),
      health('unhealthy'),
      health('degraded', { vastaiConnected: false }),
      unknownSignal<IntegrationHealthValue>('integration-health'),
    ]),
    kubernetes:
      rand() < 0.1
        ? unknownSignal('kubernetes')
        : pods(
            pick([
              'ready',
              'all-crashing',
              'one-crashing',
              'rolling-out',
            ] as const),
            sw,
          ),
  };
  for (const key of Object.keys(input) as Array<keyof TriageInput>) {
    if (rand() < 0.1) (input as any)[key] = asStale(input[key] as Signal);
  }
  return input;
}

const rank = (s: Severity | null) => (s === null ? 5 : Number(s[1]));

describe('triage over random readings', () => {
  it('keeps every invariant, and more 5xx or 401s never make it less severe', () => {
    const rand = prng(20261128);
    const violations: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const input = randomInput(rand);
      const outcome = triage(input);
      const bad = invariantViolations(input, outcome);
      if (bad.length) violations.push(`#${i}: ${bad.join(', ')}`);

      if (input.metrics.state !== 'unknown' && input.metrics.value) {
        const worse = (field: 'vendor5xxPerMinute' | 'authErrorsPerMinute') =>
          triage({
            ...input,
            metrics: {
              ...input.metrics,
              value: { ...input.metrics.value!, [field]: 1000 },
            },
          });
        for (const field of [
          'vendor5xxPerMinute',
          'authErrorsPerMinute',
        ] as const) {
          if (rank(worse(field).severity) > rank(outcome.severity))
            violations.push(`#${i}: more ${field} was less severe`);
        }
      }
    }
    expect(violations.slice(0, 10)).toEqual([]);
  });
});
