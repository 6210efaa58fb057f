import type {
  IntegrationHealthValue,
  KubernetesValue,
  MetricsValue,
  PodSummary,
  Signal,
  SignalState,
  VendorApiValue,
  VendorStatusValue,
} from '@vastai-incident/backstage-plugin-common';
import type { TriageInput } from '../triage';

/*
 * Signal builders for tests: what the probes would return for each sandbox scenario
 * (packages/sandbox/README.md), shared by the triage tests.
 */

const OBSERVED_AT = '2026-11-28T22:40:00.000Z';

function known<T>(
  source: Signal['source'],
  state: SignalState,
  value: T,
  latencyMs = 50,
): Signal<T> {
  return {
    source,
    state,
    summary: `${source}: ${state}`,
    value,
    observedAt: OBSERVED_AT,
    latencyMs,
  };
}

export function unknownSignal<T>(
  source: Signal['source'],
  reason = 'timed out after 3 s',
): Signal<T> {
  return {
    source,
    state: 'unknown',
    summary: `${source}: unknown`,
    observedAt: OBSERVED_AT,
    latencyMs: 3000,
    reason,
  };
}

/** A reading taken `seconds` before the others (the triage's "now" is the newest reading). */
export function aged<T>(signal: Signal<T>, seconds: number): Signal<T> {
  return {
    ...signal,
    observedAt: new Date(
      Date.parse(OBSERVED_AT) - seconds * 1000,
    ).toISOString(),
  };
}

/** The status source configured as `none`, as the status probe reports it. */
export function statusNotConfigured(): Signal<VendorStatusValue> {
  return {
    ...unknownSignal<VendorStatusValue>(
      'vendor-status',
      'no vendor status source is configured',
    ),
    summary: 'unknown: no vendor status source is configured',
    latencyMs: 0,
    notConfigured: true,
  };
}

export function asStale<T>(signal: Signal<T>): Signal<T> {
  return {
    ...signal,
    stale: true,
    reason: 'upstream failed now; last known good value',
  };
}

// --- vendor status page ----------------------------------------------------------------------

export function statusPage(
  indicator: VendorStatusValue['indicator'],
  incidentName?: string,
) {
  const incidents = incidentName
    ? [{ name: incidentName, status: 'investigating', impact: indicator }]
    : [];
  const componentStatus = {
    none: 'operational',
    minor: 'degraded_performance',
    major: 'major_outage',
    critical: 'major_outage',
  }[indicator];
  const state = (
    {
      none: 'ok',
      minor: 'degraded',
      major: 'failing',
      critical: 'failing',
    } as const
  )[indicator];
  return known<VendorStatusValue>('vendor-status', state, {
    indicator,
    description:
      indicator === 'none' ? 'All Systems Operational' : 'Service disruption',
    incidents,
    components: [{ name: 'API', status: componentStatus }],
  });
}

// --- our probe of the Vast.ai API --------------------------------------------------------------

/** What the probe puts in `message` when it gets no answer (the HTTP client's words). */
export const NO_ANSWER_MESSAGES = {
  unreachable: 'connection reset before any answer',
  timeout: 'no complete answer within 3000 ms',
} as const;

const PROBE_STATE: Record<VendorApiValue['outcome'], SignalState> = {
  ok: 'ok',
  'auth-failure': 'failing',
  'rate-limited': 'degraded',
  'vendor-error': 'failing',
  'edge-blocked': 'failing',
  unreachable: 'failing',
  timeout: 'failing',
};

/**
 * Our probe's signal as `createVendorApiProbe` emits it: the state follows the outcome, slowness
 * shows only in `latencyMs` (against `baselineLatencyMs`), and a call that got no answer is a
 * `failing` reading with outcome `unreachable` or `timeout`, never `unknown`.
 */
export function probe(
  outcome: VendorApiValue['outcome'],
  httpStatus?: number,
  latencyMs?: number,
  baselineLatencyMs?: number,
): Signal<VendorApiValue> {
  const state = PROBE_STATE[outcome];
  if (outcome === 'unreachable' || outcome === 'timeout') {
    const message = NO_ANSWER_MESSAGES[outcome];
    return {
      ...known<VendorApiValue>(
        'vendor-api',
        state,
        {
          outcome,
          message,
          ...(baselineLatencyMs !== undefined ? { baselineLatencyMs } : {}),
        },
        latencyMs ?? (outcome === 'timeout' ? 3000 : 2),
      ),
      summary:
        outcome === 'timeout'
          ? 'Vast.ai API did not answer within 3000 ms'
          : `Vast.ai API unreachable: ${message}`,
    };
  }
  return known<VendorApiValue>(
    'vendor-api',
    state,
    {
      outcome,
      httpStatus,
      ...(baselineLatencyMs !== undefined ? { baselineLatencyMs } : {}),
    },
    latencyMs ?? 120,
  );
}

/** The service is down: its health endpoint refuses connections (as the health probe reports it). */
export function healthRefused() {
  return {
    ...known<IntegrationHealthValue>('integration-health', 'failing', {
      status: 'unhealthy',
    }),
    reason: 'connection refused',
  };
}

// --- the service's health endpoint -------------------------------------------------------------

export function health(
  status: IntegrationHealthValue['status'],
  extra: Partial<IntegrationHealthValue> = {},
) {
  const state = (
    { healthy: 'ok', degraded: 'degraded', unhealthy: 'failing' } as const
  )[status];
  return known<IntegrationHealthValue>('integration-health', state, {
    status,
    vastaiConnected: true,
    fallback: false,
    httpStatus: status === 'unhealthy' ? 503 : 200,
    ...extra,
  });
}

// --- Prometheus -----------------------------------------------------------------------------------

const QUIET: MetricsValue = {
  errorRatio: 0,
  errorsPerMinuteByClass: {},
  rateLimitedPerMinute: 0,
  vendor5xxPerMinute: 0,
  authErrorsPerMinute: 0,
  p99LatencySeconds: 0.35,
  scrapeUp: true,
  recentErrorsButNowQuiet: false,
};

/** `errors` maps an error class to errors per minute; the dedicated rates follow from it. */
export function metrics(
  errorRatio: number,
  errors: Record<string, number> = {},
  extra: Partial<MetricsValue> = {},
) {
  const value: MetricsValue = {
    ...QUIET,
    errorRatio,
    errorsPerMinuteByClass: errors,
    authErrorsPerMinute: errors.auth_error ?? 0,
    rateLimitedPerMinute: errors.rate_limited ?? 0,
    vendor5xxPerMinute: errors.server_error ?? 0,
    ...extra,
  };
  const failing = value.scrapeUp === false;
  return known<MetricsValue>(
    'metrics',
    metricsState(failing, errorRatio),
    value,
  );
}

function metricsState(failing: boolean, errorRatio: number): SignalState {
  if (failing) return 'failing';
  return errorRatio > 0.05 ? 'degraded' : 'ok';
}

/** Prometheus answers, but the service's scrape target is down: no error data at all. */
export function scrapeDown() {
  return metrics(
    0,
    {},
    {
      errorRatio: null,
      errorsPerMinuteByClass: null,
      rateLimitedPerMinute: null,
      vendor5xxPerMinute: null,
      authErrorsPerMinute: null,
      p99LatencySeconds: null,
      scrapeUp: false,
    },
  );
}

// --- Kubernetes -------------------------------------------------------------------------------------

function pod(i: number, extra: Partial<PodSummary> = {}): PodSummary {
  return {
    name: `vastai-integration-7d9f-${i}`,
    phase: 'Running',
    ready: true,
    restarts: 0,
    ...extra,
  };
}

const CRASHING: Partial<PodSummary> = {
  ready: false,
  restarts: 7,
  waitingReason: 'CrashLoopBackOff',
  lastTerminationReason: 'OOMKilled',
};

export type PodsShape =
  | 'ready'
  | 'all-crashing'
  | 'one-crashing'
  | 'rolling-out';

export function pods(
  shape: PodsShape = 'ready',
  env: { fallback?: boolean; queue?: boolean } = {},
) {
  const lists: Record<PodsShape, PodSummary[]> = {
    'all-crashing': [pod(1, CRASHING), pod(2, CRASHING)],
    'one-crashing': [pod(1), pod(2, CRASHING)],
    'rolling-out': [
      pod(1),
      pod(2, { ready: false, waitingReason: 'ContainerCreating' }),
    ],
    ready: [pod(1), pod(2)],
  };
  const list = lists[shape];
  const readyReplicas = list.filter(p => p.ready).length;
  const value: KubernetesValue = {
    cluster: 'sandbox',
    namespace: 'vastai',
    deployment: 'vastai-integration',
    desiredReplicas: 2,
    readyReplicas,
    pods: list,
    fallbackEnabled: env.fallback ?? false,
    rateLimitMode: env.queue ? 'queue' : 'direct',
    rolloutInProgress: shape === 'rolling-out',
    warningEvents: shape.endsWith('crashing')
      ? [
          {
            reason: 'BackOff',
            message: 'Back-off restarting failed container',
            count: 12,
          },
        ]
      : [],
  };
  const states: Record<PodsShape, SignalState> = {
    'all-crashing': 'failing',
    'one-crashing': 'degraded',
    'rolling-out': 'ok',
    ready: 'ok',
  };
  const state = states[shape];
  return known<KubernetesValue>('kubernetes', state, value);
}

// --- the sandbox's scenarios, as the probes would see them --------------------------------------

const HEALTHY: TriageInput = {
  vendorStatus: statusPage('none'),
  vendorApi: probe('ok', 200),
  health: health('healthy'),
  metrics: metrics(0),
  kubernetes: pods('ready'),
};

export const SCENARIO_SIGNALS: Record<string, TriageInput> = {
  healthy: HEALTHY,
  'vendor-outage': {
    vendorStatus: statusPage('major', 'Vast.ai API unavailable'),
    vendorApi: probe('vendor-error', 503),
    health: health('degraded', { vastaiConnected: false }),
    metrics: metrics(1, { server_error: 600 }),
    kubernetes: pods('ready'),
  },
  'auth-failure': {
    ...HEALTHY,
    health: health('degraded', { vastaiConnected: false }),
    metrics: metrics(1, { auth_error: 600 }),
  },
  'rate-limited': {
    ...HEALTHY,
    health: health('degraded', { vastaiConnected: false }),
    metrics: metrics(0.8, { rate_limited: 480 }),
  },
  'degraded-latency': {
    vendorStatus: statusPage('minor', 'Elevated API latency'),
    vendorApi: probe('ok', 200, 1800, 8),
    health: health('degraded', { latencyMs: 2100 }),
    metrics: metrics(0, {}, { p99LatencySeconds: 6.4 }),
    kubernetes: pods('ready'),
  },
  'pods-crashing': {
    ...HEALTHY,
    health: healthRefused(),
    metrics: scrapeDown(),
    kubernetes: pods('all-crashing'),
  },
  'minor-errors': { ...HEALTHY, metrics: metrics(0.02, { timeout: 12 }) },
  'monitoring-gap': { ...HEALTHY, metrics: scrapeDown() },
  recovered: {
    ...HEALTHY,
    metrics: metrics(0, {}, { recentErrorsButNowQuiet: true }),
  },
  'vendor-unreachable': {
    ...HEALTHY,
    vendorApi: probe('unreachable'),
    health: health('unhealthy', { vastaiConnected: false, httpStatus: 200 }),
    metrics: metrics(1, { network_error: 600 }),
  },
  'egress-blocked': {
    ...HEALTHY,
    health: health('unhealthy', { vastaiConnected: false, httpStatus: 200 }),
    metrics: metrics(1, { network_error: 600 }),
  },
  'vendor-slow-silent': {
    ...HEALTHY,
    vendorApi: probe('ok', 200, 1800, 8),
    health: health('degraded', { latencyMs: 2100 }),
    metrics: metrics(0, {}, { p99LatencySeconds: 6.4 }),
  },
};
