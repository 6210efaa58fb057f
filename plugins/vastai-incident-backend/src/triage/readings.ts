import type {
  EvidenceReading,
  IntegrationHealthValue,
  MetricsValue,
  Signal,
  VendorApiValue,
  VendorStatusValue,
} from '@vastai-incident/backstage-plugin-common';
import {
  Age,
  ageOf,
  couldNotRead,
  EvidenceClock,
  num,
  percent,
  perMinute,
  shownReading,
  staleSuffix,
} from './evidence';
import { readKubernetes, KubernetesReading } from './kubernetesReading';
import type { TriageThresholds } from './thresholds';
import type { TriageInput } from './types';

/*
 * Signals read into plain facts, each with its age and the words a person reads at 3 a.m.
 * Nothing here decides a branch or a severity; it only says what each upstream told us.
 */

/** What every reading has: how old it is, and how the drawn tree shows it. */
export interface ReadingBase {
  age: Age;
  shown: EvidenceReading;
}

// ---------------------------------------------------------------------------------------------
// Vendor status page

export interface StatusReading extends ReadingBase {
  known: boolean;
  /** Only meaningful when known. */
  incident: boolean;
  /** Deliberately not configured (`none`): not a monitoring gap. */
  notConfigured: boolean;
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
  age: Age,
): StatusReading {
  const v = signal.value;
  if (signal.state === 'unknown' || (!v && signal.state !== 'ok')) {
    const evidence = signal.notConfigured
      ? 'status page: none configured'
      : couldNotRead('status page', signal);
    return {
      known: false,
      incident: false,
      notConfigured: signal.notConfigured === true,
      evidence,
      age,
      shown: shownReading(signal, age, evidence),
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
  const evidence = `status page: ${words}${named}${staleSuffix(signal, age)}`;
  return {
    known: true,
    incident,
    notConfigured: false,
    evidence,
    age,
    shown: shownReading(signal, age, `${words}${named}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Our own probe of the Vast.ai API (operator key, not the service's), from the portal's network

export interface ProbeReading extends ReadingBase {
  /**
   * ok: answers promptly. slow: answers, slowly for it. vendor-down: 5xx.
   * unreachable: no connection or no answer within the deadline.
   * inconclusive: our operator key was refused or throttled, or Vast.ai's edge refused the
   * portal's network, which says nothing about the service.
   */
  verdict:
    | 'ok'
    | 'slow'
    | 'vendor-down'
    | 'unreachable'
    | 'inconclusive'
    | 'unknown';
  evidence: string;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Slow for our probe: above the absolute line, or well above its own usual latency. */
export function probeIsSlow(
  latencyMs: number,
  baselineMs: number | undefined,
  t: TriageThresholds,
): boolean {
  if (latencyMs > t.probeSlowSeconds * 1000) return true;
  if (baselineMs === undefined) return false;
  return (
    latencyMs > baselineMs * t.probeSlowFactor && latencyMs > baselineMs + 500
  );
}

export function readVendorApi(
  signal: Signal<VendorApiValue>,
  age: Age,
  t: TriageThresholds,
): ProbeReading {
  const v = signal.value;
  const make = (
    verdict: ProbeReading['verdict'],
    words: string,
    extra: Partial<EvidenceReading> = {},
  ): ProbeReading => ({
    verdict,
    evidence: `our probe: ${words}${staleSuffix(signal, age)}`,
    age,
    shown: shownReading(signal, age, words, {
      latencyMs: signal.latencyMs,
      ...(v?.baselineLatencyMs !== undefined
        ? { baselineLatencyMs: v.baselineLatencyMs }
        : {}),
      ...extra,
    }),
  });
  if (!v || (signal.state === 'unknown' && v.outcome !== 'unreachable')) {
    const evidence = couldNotRead('our Vast.ai probe', signal);
    return {
      verdict: 'unknown',
      evidence,
      age,
      shown: shownReading(signal, age, evidence),
    };
  }
  const status = v.httpStatus ? ` ${v.httpStatus}` : '';
  const detail = v.message ? ` (${v.message})` : '';
  switch (v.outcome) {
    case 'vendor-error':
      // A 404 or 400 to our probe is odd but is not Vast.ai being down.
      if (v.httpStatus !== undefined && v.httpStatus < 500)
        return make('inconclusive', `Vast.ai answers${status}`);
      return make('vendor-down', `Vast.ai answers${status || ' 5xx'}`);
    case 'unreachable':
      return make('unreachable', `Vast.ai unreachable${detail}`, {
        unreachable: true,
      });
    case 'timeout':
      return make(
        'unreachable',
        `Vast.ai did not answer within ${seconds(signal.latencyMs)}`,
        { unreachable: true },
      );
    case 'edge-blocked':
      return make(
        'inconclusive',
        `Vast.ai's edge refuses the portal's network${status}, not a key problem`,
      );
    case 'auth-failure':
      return make('inconclusive', `Vast.ai refused the operator key${status}`);
    case 'rate-limited':
      return make('inconclusive', `rate limited${status}`);
    default: {
      const usual =
        v.baselineLatencyMs !== undefined
          ? `, usually ${seconds(v.baselineLatencyMs)}`
          : '';
      return signal.state === 'ok' &&
        !probeIsSlow(signal.latencyMs, v.baselineLatencyMs, t)
        ? make('ok', `Vast.ai answers OK in ${seconds(signal.latencyMs)}`)
        : make(
            'slow',
            `Vast.ai answers slowly (${seconds(signal.latencyMs)}${usual})`,
          );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The service's health endpoint

export interface HealthReading extends ReadingBase {
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
  age: Age,
): HealthReading {
  if (signal.state === 'unknown') {
    const evidence = couldNotRead('service health', signal);
    return { evidence, age, shown: shownReading(signal, age, evidence) };
  }
  const v = signal.value;
  const status = v?.status ?? STATE_AS_HEALTH[signal.state];
  const notes = [
    signal.reason && status !== 'healthy' ? signal.reason : '',
    v?.fallback ? 'serving from fallback' : '',
    v?.vastaiConnected === false ? 'disconnected from Vast.ai' : '',
    v?.latencyMs !== undefined && status !== 'healthy'
      ? `Vast.ai latency ${seconds(v.latencyMs)}`
      : '',
  ].filter(Boolean);
  const words = [status, ...notes].join(', ');
  return {
    status,
    connected: v?.vastaiConnected,
    fallback: v?.fallback,
    evidence: `service health: ${words}${staleSuffix(signal, age)}`,
    age,
    shown: shownReading(signal, age, words),
  };
}

// ---------------------------------------------------------------------------------------------
// Prometheus readings of the service's own calls to Vast.ai: the primary evidence

/** Error classes of calls that got no answer from Vast.ai at all. */
const NO_ANSWER_CLASSES = ['network_error', 'timeout'];

export interface MetricsReading extends ReadingBase {
  /** Error rates can be trusted: the signal is known and the scrape target is up. */
  readable: boolean;
  errorRatio: number | null;
  authPerMinute: number | null;
  rateLimitedPerMinute: number | null;
  vendor5xxPerMinute: number | null;
  p99Seconds: number | null;
  /** Error classes with a non-zero rate, e.g. { timeout: 1.2 }. */
  errorClasses: Record<string, number>;
  /** Estimated share of our calls that got no answer (network errors, timeouts). */
  unansweredShare: number;
  /** Estimated share of our calls that could not even connect (network errors). */
  connectFailureShare: number;
  recentErrorsButNowQuiet: boolean;
  /** Why the rates cannot be trusted, when they cannot. */
  gap?: string;
  stale: string;
}

export function readMetrics(
  signal: Signal<MetricsValue>,
  age: Age,
): MetricsReading {
  const v: Partial<MetricsValue> =
    signal.state === 'unknown' ? {} : signal.value ?? {};
  const classes = v.errorsPerMinuteByClass ?? null;
  const errorClasses = Object.fromEntries(
    Object.entries(classes ?? {}).filter(([, r]) => (num(r) ?? 0) > 0),
  ) as Record<string, number>;
  const up = v.scrapeUp ?? null;
  const stale = staleSuffix(signal, age);
  let gap: string | undefined;
  if (signal.state === 'unknown' || !signal.value)
    gap = couldNotRead('metrics', signal);
  else if (up === false) gap = `metrics: scrape target down (up = 0)${stale}`;
  else if (up === null) gap = `metrics: no scrape data for the service${stale}`;
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
  const errorRatio = num(v.errorRatio) ?? (readable && !anyErrors ? 0 : null);
  const total = Object.values(errorClasses).reduce((a, b) => a + b, 0);
  const unanswered = NO_ANSWER_CLASSES.reduce(
    (sum, c) => sum + (errorClasses[c] ?? 0),
    0,
  );
  const shareOf = (errorCount: number) =>
    errorRatio !== null && total > 0
      ? Math.min(1, (errorRatio * errorCount) / total)
      : 0;
  const unansweredShare = shareOf(unanswered);
  const connectFailureShare = shareOf(errorClasses.network_error ?? 0);
  const p99Seconds = num(v.p99LatencySeconds);
  const words =
    gap ??
    [
      errorRatio !== null
        ? `errors on ${percent(errorRatio)} of our calls`
        : '',
      Object.keys(errorClasses).join(', '),
      p99Seconds !== null ? `p99 ${p99Seconds.toFixed(1)} s` : '',
    ]
      .filter(Boolean)
      .join('; ');
  return {
    readable,
    errorRatio,
    authPerMinute,
    rateLimitedPerMinute,
    vendor5xxPerMinute,
    p99Seconds,
    errorClasses,
    unansweredShare,
    connectFailureShare,
    recentErrorsButNowQuiet: v.recentErrorsButNowQuiet === true,
    gap,
    stale,
    age,
    shown: shownReading(signal, age, words),
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

export interface Readings {
  status: StatusReading;
  probe: ProbeReading;
  health: HealthReading;
  metrics: MetricsReading;
  kube: KubernetesReading;
}

export function readSignals(
  input: TriageInput,
  t: TriageThresholds,
  clock: EvidenceClock,
): Readings {
  const age = (source: keyof TriageInput) =>
    ageOf(input[source], source, clock);
  return {
    status: readVendorStatus(input.vendorStatus, age('vendorStatus')),
    probe: readVendorApi(input.vendorApi, age('vendorApi'), t),
    health: readHealth(input.health, age('health')),
    metrics: readMetrics(input.metrics, age('metrics')),
    kube: readKubernetes(input.kubernetes, age('kubernetes')),
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
