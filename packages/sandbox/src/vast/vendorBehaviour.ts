import type { RateLimit } from './rateLimiter';

/** The endpoints of the subset, as rate-limit and counting keys. */
export type VastEndpointId =
  | 'users/current'
  | 'auth/apikeys'
  | 'auth/apikeys/{id}'
  | 'bundles';

export interface LatencyProfile {
  minMs: number;
  maxMs: number;
  /** Fraction of calls that take the slow path instead. */
  tailFraction?: number;
  tailMinMs?: number;
  tailMaxMs?: number;
}

/** What the vendor does right now; scenarios replace it as a whole. */
export interface VendorBehaviour {
  /** Every call (the product's probe too) answers 503. */
  outage: boolean;
  /**
   * No caller can reach the API: every connection is reset before any answer, as a load
   * balancer with no healthy backend does. Nothing is counted (the vendor never sees the call).
   */
  unreachable?: boolean;
  /** Until this epoch-ms every call answers 503 (the `recovered` scenario's burst). */
  serverErrorsUntil?: number;
  /** Latency per endpoint; endpoints not listed answer at once. */
  latency: Partial<Record<VastEndpointId, LatencyProfile>>;
  /** Fraction of offer searches that never answer (callers see their own timeout). */
  hangFraction: number;
  limits: Record<VastEndpointId, RateLimit>;
}

/** The limits of a normal day: generous enough for the service's ~10 calls/s and the probes. */
export const NORMAL_LIMITS: Record<VastEndpointId, RateLimit> = {
  'users/current': { minIntervalMs: 200, burst: 5 },
  'auth/apikeys': { minIntervalMs: 500, burst: 3 },
  'auth/apikeys/{id}': { minIntervalMs: 500, burst: 3 },
  bundles: { minIntervalMs: 50, burst: 20 },
};

export function normalBehaviour(): VendorBehaviour {
  return {
    outage: false,
    latency: {},
    hangFraction: 0,
    limits: { ...NORMAL_LIMITS },
  };
}

/**
 * A slow vendor: offer searches take seconds (p99 above 5 s), the product's probe is slow
 * too, but mostly inside a 3 s deadline.
 */
export const SLOW_LATENCY: VendorBehaviour['latency'] = {
  bundles: {
    minMs: 800,
    maxMs: 2000,
    tailFraction: 0.1,
    tailMinMs: 5200,
    tailMaxMs: 6500,
  },
  'users/current': { minMs: 1200, maxMs: 2500 },
  'auth/apikeys': { minMs: 1000, maxMs: 2000 },
  'auth/apikeys/{id}': { minMs: 1000, maxMs: 2000 },
};

export function pickLatencyMs(
  profile: LatencyProfile | undefined,
  random = Math.random,
): number {
  if (!profile) return 0;
  const inTail =
    profile.tailFraction !== undefined && random() < profile.tailFraction;
  const [min, max] = inTail
    ? [profile.tailMinMs ?? profile.maxMs, profile.tailMaxMs ?? profile.maxMs]
    : [profile.minMs, profile.maxMs];
  return min + random() * Math.max(0, max - min);
}
