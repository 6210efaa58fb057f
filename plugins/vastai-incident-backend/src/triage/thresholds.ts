import type { FreshnessBudgets } from './types';

/**
 * Where the runbook draws its lines. Each is "above this value", per integration
 * (the caller reads overrides from config and passes them to `triage`).
 */
export interface TriageThresholds {
  /** 5xx answers from Vast.ai per minute above which it is a complete outage (P1). */
  vendor5xxPerMinute: number;
  /** 401/403 answers per minute above which our key is failing (P1). 0 = any. */
  authErrorsPerMinute: number;
  /** 429 answers per minute above which we are rate limited (P2). */
  rateLimitedPerMinute: number;
  /** p99 latency of our Vast.ai calls, seconds, above which the service is degraded (P2). */
  p99LatencySeconds: number;
  /** Share of our calls failing above which "the Vast.ai API is returning errors". */
  errorRatio: number;
  /** Our probe is slow above this many seconds, whatever its usual latency. */
  probeSlowSeconds: number;
  /** Our probe is slow above this multiple of its usual latency (and 500 ms more than it). */
  probeSlowFactor: number;
}

export const DEFAULT_TRIAGE_THRESHOLDS: TriageThresholds = Object.freeze({
  vendor5xxPerMinute: 10,
  authErrorsPerMinute: 0,
  rateLimitedPerMinute: 5,
  p99LatencySeconds: 5,
  errorRatio: 0.05,
  probeSlowSeconds: 1,
  probeSlowFactor: 5,
});

/**
 * A few probe intervals of the default configuration (cache TTL 15 s, vendor probe every 30 s):
 * a reading older than this never counts as evidence that Vast.ai is healthy.
 */
export const DEFAULT_FRESHNESS_SECONDS: FreshnessBudgets = Object.freeze({
  vendorStatus: 90,
  vendorApi: 90,
  health: 45,
  metrics: 45,
  kubernetes: 45,
});
