import type {
  IntegrationHealthValue,
  KubernetesValue,
  MetricsValue,
  PodSummary,
  Signal,
  VendorApiValue,
  VendorStatusValue,
} from '@internal/plugin-vastai-incident-common';
import type { TriageInput } from './types';
import type { TriageThresholds } from './thresholds';

/*
 * Signals read into plain facts, each with the words a person reads at 3 a.m.
 * Nothing here decides a branch or a severity; it only says what each upstream told us.
 */

/** A number we can trust: NaN and Infinity are "no data", like null. */
function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function clock(iso: string): string {
  const hhmm = /T(\d\d:\d\d)/.exec(iso);
  return hhmm ? `${hhmm[1]} UTC` : iso;
}

/** Appended to every phrase built from a last-known-good value. */
function staleSuffix(signal: Signal): string {
  return signal.stale ? ` (stale: last read ${clock(signal.observedAt)})` : '';
}

function couldNotRead(label: string, signal: Signal): string {
  return `${label}: could not be read${
    signal.reason ? ` (${signal.reason})` : ''
  }`;
}

function percent(ratio: number): string {
  const p = ratio * 100;
  return `${p >= 10 ? Math.round(p) : Number(p.toFixed(1))}%`;
}

function perMinute(rate: number): string {
  return `${rate >= 10 ? Math.round(rate) : Number(rate.toFixed(1))}/min`;
}

// ---------------------------------------------------------------------------------------------
// Vendor status page

export interface StatusReading {
  known: boolean;
  /** Only meaningful when known. */
  incident: boolean;
  evidence: string;
}

const INDICATOR_WORDS: Record<VendorStatusValue['indicator'], string> = {
  none: 'all systems operational',
  minor: 'minor incident',
  major: 'major outage',
  critical: 'critical outage',
};

export function readVendorStatus(
  signal: Signal<VendorStatusValue>,
): StatusReading {
  const v = signal.value;
  if (signal.state === 'unknown' || (!v && signal.state !== 'ok')) {
    return {
      known: false,
      incident: false,
      evidence: couldNotRead('status page', signal),
    };
  }
  const indicator = v?.indicator ?? 'none';
  const incidents = v?.incidents ?? [];
  const incident = indicator !== 'none' || incidents.length > 0;
  const words =
    indicator === 'none' && incident
      ? 'open incident'
      : INDICATOR_WORDS[indicator];
  const named = incidents.length ? ` ("${incidents[0].name}")` : '';
  return {
    known: true,
    incident,
    evidence: `status page: ${words}${named}${staleSuffix(signal)}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Our own probe of the Vast.ai API (operator key, not the service's)

export interface ProbeReading {
  /**
   * ok: answers promptly. slow: answers, slowly. vendor-down: 5xx or unreachable.
   * inconclusive: our operator key was refused or throttled, which says nothing about the service.
   */
  verdict: 'ok' | 'slow' | 'vendor-down' | 'inconclusive' | 'unknown';
  evidence: string;
}

export function readVendorApi(
  signal: Signal<VendorApiValue>,
  slowAfterSeconds: number,
): ProbeReading {
  const v = signal.value;
  if (signal.state === 'unknown' || !v) {
    return {
      verdict: 'unknown',
      evidence: couldNotRead('our Vast.ai probe', signal),
    };
  }
  const stale = staleSuffix(signal);
  const status = v.httpStatus ? ` ${v.httpStatus}` : '';
  const clientError = v.httpStatus !== undefined && v.httpStatus < 500;
  switch (v.outcome) {
    case 'vendor-error':
      // A 404 or 400 to our probe is odd but is not Vast.ai being down.
      if (clientError) {
        return {
          verdict: 'inconclusive',
          evidence: `our probe: Vast.ai answers${status}${stale}`,
        };
      }
      return {
        verdict: 'vendor-down',
        evidence: `our probe: Vast.ai answers${status || ' 5xx'}${stale}`,
      };
    case 'unreachable':
      return {
        verdict: 'vendor-down',
        evidence: `our probe: Vast.ai unreachable${stale}`,
      };
    case 'auth-failure':
      return {
        verdict: 'inconclusive',
        evidence: `our probe: Vast.ai refused the operator key${status}${stale}`,
      };
    case 'rate-limited':
      return {
        verdict: 'inconclusive',
        evidence: `our probe: rate limited${status}${stale}`,
      };
    default: {
      const seconds = signal.latencyMs / 1000;
      return signal.state === 'ok' && seconds <= slowAfterSeconds
        ? { verdict: 'ok', evidence: `our probe: Vast.ai answers OK${stale}` }
        : {
            verdict: 'slow',
            evidence: `our probe: Vast.ai answers slowly (${seconds.toFixed(
              1,
            )} s)${stale}`,
          };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The service's health endpoint

export interface HealthReading {
  status?: IntegrationHealthValue['status'];
  connected?: boolean;
  fallback?: boolean;
  evidence: string;
}

const STATE_AS_HEALTH = {
  ok: 'healthy',
  degraded: 'degraded',
  failing: 'unhealthy',
} as const;

export function readHealth(
  signal: Signal<IntegrationHealthValue>,
): HealthReading {
  if (signal.state === 'unknown')
    return { evidence: couldNotRead('service health', signal) };
  const v = signal.value;
  const status = v?.status ?? STATE_AS_HEALTH[signal.state];
  const notes = [
    signal.reason && status !== 'healthy' ? signal.reason : '',
    v?.fallback ? 'serving from fallback' : '',
    v?.vastaiConnected === false ? 'disconnected from Vast.ai' : '',
  ].filter(Boolean);
  return {
    status,
    connected: v?.vastaiConnected,
    fallback: v?.fallback,
    evidence: `service health: ${[status, ...notes].join(', ')}${staleSuffix(
      signal,
    )}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Prometheus readings of the service's own calls to Vast.ai: the primary evidence

export interface MetricsReading {
  /** Error rates can be trusted: the signal is known and the scrape target is up. */
  readable: boolean;
  errorRatio: number | null;
  authPerMinute: number | null;
  rateLimitedPerMinute: number | null;
  vendor5xxPerMinute: number | null;
  p99Seconds: number | null;
  /** Error classes with a non-zero rate, e.g. { timeout: 1.2 }. */
  errorClasses: Record<string, number>;
  recentErrorsButNowQuiet: boolean;
  /** Why the rates cannot be trusted, when they cannot. */
  gap?: string;
  stale: string;
}

export function readMetrics(signal: Signal<MetricsValue>): MetricsReading {
  const v: Partial<MetricsValue> =
    signal.state === 'unknown' ? {} : signal.value ?? {};
  const classes = v.errorsPerMinuteByClass ?? null;
  const errorClasses = Object.fromEntries(
    Object.entries(classes ?? {}).filter(([, r]) => (num(r) ?? 0) > 0),
  ) as Record<string, number>;
  const up = v.scrapeUp ?? null;
  let gap: string | undefined;
  if (signal.state === 'unknown' || !signal.value)
    gap = couldNotRead('metrics', signal);
  else if (up === false)
    gap = `metrics: scrape target down (up = 0)${staleSuffix(signal)}`;
  else if (up === null)
    gap = `metrics: no scrape data for the service${staleSuffix(signal)}`;
  const readable = !gap;
  // With the target up, a missing error series means nothing was counted: zero, not unknown.
  const rate = (field: number | null | undefined, cls: string) =>
    num(field) ?? num(classes?.[cls]) ?? (readable ? 0 : null);
  const authPerMinute = rate(v.authErrorsPerMinute, 'auth_error');
  const rateLimitedPerMinute = rate(v.rateLimitedPerMinute, 'rate_limited');
  const vendor5xxPerMinute = rate(v.vendor5xxPerMinute, 'server_error');
  const anyErrors =
    Object.keys(errorClasses).length > 0 ||
    [authPerMinute, rateLimitedPerMinute, vendor5xxPerMinute].some(
      r => (r ?? 0) > 0,
    );
  return {
    readable,
    errorRatio: num(v.errorRatio) ?? (readable && !anyErrors ? 0 : null),
    authPerMinute,
    rateLimitedPerMinute,
    vendor5xxPerMinute,
    p99Seconds: num(v.p99LatencySeconds),
    errorClasses,
    recentErrorsButNowQuiet: v.recentErrorsButNowQuiet === true,
    gap,
    stale: staleSuffix(signal),
  };
}

/** "401/403 on 93% of our calls (56/min)"; the share is estimated from the error ratio. */
export function describeErrorClass(
  m: MetricsReading,
  label: string,
  ratePerMinute: number,
): string {
  const total = Object.values(m.errorClasses).reduce((a, b) => a + b, 0);
  const share =
    m.errorRatio !== null && total > 0
      ? Math.min(1, (m.errorRatio * ratePerMinute) / total)
      : null;
  const amount =
    share !== null
      ? `${percent(share)} of our calls (${perMinute(ratePerMinute)})`
      : perMinute(ratePerMinute);
  return `Vast.ai API: ${label} on ${amount}${m.stale}`;
}

export function describeErrorRatio(
  m: MetricsReading,
  t: TriageThresholds,
): string {
  const classes = Object.keys(m.errorClasses);
  const which = classes.length ? ` (${classes.join(', ')})` : '';
  const ratio = m.errorRatio ?? 0;
  const side = ratio > t.errorRatio ? 'above' : 'below';
  return `Vast.ai API: errors on ${percent(
    ratio,
  )} of our calls${which}, ${side} the ${percent(t.errorRatio)} threshold${
    m.stale
  }`;
}

// ---------------------------------------------------------------------------------------------
// The deployment in Kubernetes

export interface KubernetesReading {
  known: boolean;
  desired: number;
  ready: number;
  /** No pod is ready: the service is down. */
  down: boolean;
  /** Some pods crash or are not ready, outside a rollout. */
  podsUnhealthy: boolean;
  rolloutInProgress: boolean;
  fallbackEnabled?: boolean;
  queueMode: boolean;
  evidence: string;
}

const CRASH_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

function isCrashing(pod: PodSummary): boolean {
  return pod.phase === 'Failed' || CRASH_REASONS.has(pod.waitingReason ?? '');
}

export function readKubernetes(
  signal: Signal<KubernetesValue>,
): KubernetesReading {
  const v = signal.value;
  if (signal.state === 'unknown' || !v) {
    return {
      known: false,
      desired: 0,
      ready: 0,
      down: false,
      podsUnhealthy: false,
      rolloutInProgress: false,
      queueMode: false,
      evidence: couldNotRead('pods', signal),
    };
  }
  const crashing = v.pods.filter(isCrashing);
  const rolloutInProgress = v.rolloutInProgress === true;
  const down = v.readyReplicas === 0;
  const podsUnhealthy =
    !down &&
    (crashing.length > 0 ||
      (v.readyReplicas < v.desiredReplicas && !rolloutInProgress));
  const details: string[] = [];
  if (crashing.length) {
    const reason = crashing[0].waitingReason ?? crashing[0].phase;
    const last = crashing.find(
      p => p.lastTerminationReason,
    )?.lastTerminationReason;
    details.push(
      `${crashing.length} in ${reason}${last ? ` (last: ${last})` : ''}`,
    );
  }
  if (rolloutInProgress) details.push('rollout in progress');
  if (v.desiredReplicas === 0) details.push('scaled to 0');
  return {
    known: true,
    desired: v.desiredReplicas,
    ready: v.readyReplicas,
    down,
    podsUnhealthy,
    rolloutInProgress,
    fallbackEnabled: v.fallbackEnabled,
    queueMode: v.rateLimitMode === 'queue',
    evidence: `pods: ${v.readyReplicas}/${v.desiredReplicas} ready${
      details.length ? `, ${details.join(', ')}` : ''
    }${staleSuffix(signal)}`,
  };
}

// ---------------------------------------------------------------------------------------------

export interface Readings {
  status: StatusReading;
  probe: ProbeReading;
  health: HealthReading;
  metrics: MetricsReading;
  kube: KubernetesReading;
}

export function readSignals(input: TriageInput, t: TriageThresholds): Readings {
  return {
    status: readVendorStatus(input.vendorStatus),
    // The probe is slow when it alone takes longer than our calls' p99 may.
    probe: readVendorApi(input.vendorApi, t.p99LatencySeconds),
    health: readHealth(input.health),
    metrics: readMetrics(input.metrics),
    kube: readKubernetes(input.kubernetes),
  };
}

/** Names for the verdict's "could not check" and "stale" lists. */
export const SIGNAL_LABELS: Record<keyof TriageInput, string> = {
  vendorStatus: 'Vast.ai status page',
  vendorApi: 'Vast.ai API probe',
  health: 'service health',
  metrics: 'metrics',
  kubernetes: 'pods',
};
