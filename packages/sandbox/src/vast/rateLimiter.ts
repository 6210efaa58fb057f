/** How often one identity may call one endpoint: a minimum interval, with an optional burst. */
export interface RateLimit {
  minIntervalMs: number;
  /** How many calls may come back to back before the interval applies (1 = strict interval). */
  burst: number;
}

/**
 * Vast.ai limits per identity and endpoint as a minimum interval between calls, sometimes with a
 * burst cap. Modelled as a token bucket holding `burst` tokens, one refilled every interval.
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; updatedAt: number }>();

  /** Whether the call may proceed now (it consumes a token when it may). */
  take(
    identity: string,
    endpoint: string,
    limit: RateLimit,
    now = Date.now(),
  ): boolean {
    if (limit.minIntervalMs <= 0) return true;
    const key = `${identity}\u0000${endpoint}`;
    const burst = Math.max(1, limit.burst);
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedAt: now };
    bucket.tokens = Math.min(
      burst,
      bucket.tokens + (now - bucket.updatedAt) / limit.minIntervalMs,
    );
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return false;
  }

  reset() {
    this.buckets.clear();
  }
}
