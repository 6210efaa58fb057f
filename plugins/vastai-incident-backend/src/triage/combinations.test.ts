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
} from '@internal/plugin-vastai-incident-common';
import { DECISION_TREE } from './decisionTree';
import { triage } from './triage';
import {
  asStale,
  health,
  healthRefused,
  metrics,
  pods,
  probe,
  scrapeDown,
  statusPage,
  unknownSignal,
} from './testSignals';
import type { DecisionQuestion, TriageInput, TriageOutcome } from './types';

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
} as const;

const PROBE = {
  ok: () => probe('ok', 200),
  slow: () => probe('ok', 200, 6200),
  '503': () => probe('vendor-error', 503),
  unreachable: () => probe('unreachable'),
  'operator-key-refused': () => probe('auth-failure', 401),
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
  const vendorDown = c.probe === '503' || c.probe === 'unreachable';
  const statusIncident = c.status === 'minor' || c.status === 'major';
  const q1 = m.q1 === 'yes' || vendorDown;
  const vendorHealthy =
    c.probe === 'ok' &&
    !statusIncident &&
    c.metrics !== '5xx' &&
    c.metrics !== 'latency';

  let branch: Branch;
  if (q1) {
    const vendorSide =
      c.status === 'unknown' ||
      (c.status === 'none' && c.stale === 'vendorStatus')
        ? vendorDown || (c.probe === 'slow' && c.metrics === 'latency')
        : statusIncident;
    branch = vendorSide ? 'vendor-incident' : 'our-integration';
  } else {
    const serviceUnwell = [
      'pods-down',
      'one-pod-crashing',
      'unhealthy',
    ].includes(c.service);
    branch = serviceUnwell ? 'our-infrastructure' : 'resolved-or-intermittent';
  }

  const severity = mostSevere([
    c.metrics === '5xx' && fallbackOn ? 'P2' : m.severity,
    c.status === 'unknown' || (statusIncident && !q1) ? 'P4' : null,
    vendorDownSeverity(vendorDown, fallbackOn),
    c.probe === 'slow' && c.metrics !== 'latency' ? 'P4' : null,
    c.probe === 'operator-key-refused' || c.probe === 'unknown' ? 'P4' : null,
    ({
      'pods-down': 'P1',
      'one-pod-crashing': 'P2',
      'health-unknown': 'P4',
      'all-unknown': 'P4',
    }[c.service] as Severity) ?? null,
    c.service === 'unhealthy' && (!q1 || fallbackOn) ? 'P1' : null,
    fallbackOn && vendorHealthy ? 'P3' : null,
    queueOn && m.no429 ? 'P4' : null,
    c.stale !== 'none' ? 'P4' : null,
  ]);
  if (severity === null) branch = 'healthy';

  const actions: ActionId[] = [];
  if (c.metrics === 'auth') actions.push('rotate-api-key');
  if (
    !fallbackOn &&
    (c.metrics === '5xx' || vendorDown || branch === 'vendor-incident')
  )
    actions.push('enable-fallback');
  if (c.metrics === '429' && !queueOn) actions.push('queue-mode');
  if (c.service === 'pods-down' || c.service === 'one-pod-crashing')
    actions.push('rollout-restart');
  if (fallbackOn && vendorHealthy) actions.push('disable-fallback');
  if (queueOn && m.no429) actions.push('direct-mode');
  return { branch, severity, actions: actions.sort() };
}

// --- invariants, true of every outcome ------------------------------------------------------------

const REVERTS: Array<[ActionId, ActionId]> = [
  ['enable-fallback', 'disable-fallback'],
  ['queue-mode', 'direct-mode'],
];

function invariantViolations(input: TriageInput, o: TriageOutcome): string[] {
  const bad: string[] = [];
  const signals = Object.values(input) as Signal[];
  if ((o.severity === null) !== (o.branch === 'healthy'))
    bad.push('severity is null iff healthy');
  if (o.branch === 'healthy' && signals.some(s => s.state === 'unknown'))
    bad.push('unknown yielded healthy');
  if (o.branch === 'healthy' && signals.some(s => s.stale))
    bad.push('stale yielded healthy');
  if (o.severity && o.reasons.length === 0)
    bad.push('severity without reasons');
  const ids = o.actions.map(a => a.id);
  if (new Set(ids).size !== ids.length) bad.push('duplicate action');
  for (const [thing, revert] of REVERTS) {
    if (ids.includes(thing) && ids.includes(revert))
      bad.push(`both ${thing} and ${revert}`);
  }
  if (o.actions.some(a => !a.reason)) bad.push('action without a reason');
  const kube =
    input.kubernetes.state === 'unknown' ? undefined : input.kubernetes.value;
  if (kube?.fallbackEnabled && ids.includes('enable-fallback'))
    bad.push('enable-fallback while on');
  if (kube?.rateLimitMode === 'queue' && ids.includes('queue-mode'))
    bad.push('queue-mode while on');
  if (kube?.rolloutInProgress && ids.includes('rollout-restart'))
    bad.push('restart during a rollout');

  // The path walks the tree from the root and ends at the returned branch.
  if (o.path[0]?.question !== 'vendor-api-errors')
    bad.push('path does not start at the root');
  o.path.forEach((step, i) => {
    const edges = DECISION_TREE[step.question as DecisionQuestion];
    const isLast = i === o.path.length - 1;
    if (!edges || !step.evidence) bad.push(`step ${i} malformed`);
    else if (step.answer !== 'unknown') {
      const edge = edges[step.answer];
      const ok =
        step.leadsTo === edge ||
        (isLast &&
          edge === 'resolved-or-intermittent' &&
          step.leadsTo === 'healthy');
      if (!ok)
        bad.push(
          `step ${i} answer ${step.answer} leads to ${step.leadsTo}, tree says ${edge}`,
        );
    } else if (![edges.yes, edges.no, 'healthy'].includes(step.leadsTo!))
      bad.push(`step ${i} leads off the tree`);
    if (!isLast && step.leadsTo !== o.path[i + 1].question)
      bad.push(`step ${i} does not lead to step ${i + 1}`);
  });
  if (o.path[o.path.length - 1]?.leadsTo !== o.branch)
    bad.push('path does not end at the branch');
  if (input.vendorStatus.state === 'unknown') {
    const q2 = o.path.find(s => s.question === 'vendor-status-incident');
    if (
      q2 &&
      (q2.answer !== 'unknown' ||
        !q2.evidence.includes('status page: could not be read'))
    ) {
      bad.push('claimed an answer from an unreadable status page');
    }
  }
  const words = [o.verdict, ...o.reasons, ...o.path.map(s => s.evidence)].join(
    '\n',
  );
  if (
    signals.some(s => s.stale && s.state !== 'unknown') &&
    !/stale/i.test(words)
  )
    bad.push('stale signal not named');
  const unknowns = signals.filter(s => s.state === 'unknown');
  if (unknowns.length && !o.verdict.includes('Could not check:'))
    bad.push('unknown signal not named');
  return bad;
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
    expect(all.length).toBe(11 * 4 * 6 * 7 * 3 * 6);
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
/** Vast.ai down: a complete outage, unless our fallback keeps serving (then degraded). */
function vendorDownSeverity(vendorDown: boolean, fallbackOn: boolean) {
  if (!vendorDown) return null;
  return fallbackOn ? 'P2' : 'P1';
}

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
