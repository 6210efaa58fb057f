import type {
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { JsonValue } from '@backstage/types';
import type { Signal } from '@vastai-incident/backstage-plugin-common';
import { describeUpstreamError } from '../upstream';
import { FallbackCache } from './fallbackCache';

export interface SharedReadsOptions {
  cache: CacheService;
  /** How long a last known good value may be served as stale. */
  staleMaxAgeMs: number;
  /** Deadline of one shared-cache call before this process falls back to its own cache. */
  cacheTimeoutMs?: number;
  logger?: LoggerService;
  now?: () => number;
}

/** A value read through SharedReads.read, marked when it is an old one served on failure. */
export interface SharedValue<T> {
  value: T;
  stale?: boolean;
  ageSeconds?: number;
  reason?: string;
}

/** The stale marks of a shared value, to spread into an answer; nothing when it is fresh. */
export function staleMarks(
  shared: SharedValue<unknown>,
): Pick<SharedValue<unknown>, 'stale' | 'ageSeconds' | 'reason'> {
  return shared.stale
    ? { stale: true, ageSeconds: shared.ageSeconds, reason: shared.reason }
    : {};
}

interface StoredValue {
  value: JsonValue;
  at: number;
}

/**
 * Upstream reads shared by every viewer, so many viewers cost one upstream call per TTL:
 * answers are kept in the Backstage cache service for a short TTL (shared across replicas when
 * the cache store is), identical concurrent reads in this process are coalesced into one
 * upstream call, and when an upstream fails the last known good value is served, marked stale
 * with its age. When the shared cache is gone, each process caches on its own (FallbackCache).
 */
export class SharedReads {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly cache: FallbackCache;
  private readonly staleMaxAgeMs: number;
  private readonly logger?: LoggerService;
  private readonly now: () => number;

  constructor(options: SharedReadsOptions) {
    this.cache = new FallbackCache({
      shared: options.cache,
      logger: options.logger,
      timeoutMs: options.cacheTimeoutMs,
      now: options.now,
    });
    this.staleMaxAgeMs = options.staleMaxAgeMs;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  /** The cache is an optimisation: its failures must never fail a read. */
  private async get<T>(key: string): Promise<T | undefined> {
    try {
      return (await this.cache.get(key)) as unknown as T | undefined;
    } catch (error) {
      this.logger?.warn(`cache read failed: ${describeUpstreamError(error)}`);
      return undefined;
    }
  }

  private async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    try {
      await this.cache.set(key, value as JsonValue, {
        ttl: Math.max(1, Math.round(ttlMs)),
      });
    } catch (error) {
      this.logger?.warn(`cache write failed: ${describeUpstreamError(error)}`);
    }
  }

  /** One upstream call per key at a time in this process. */
  private coalesce<T>(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = (async () => {
      try {
        return await load();
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, started);
    return started;
  }

  /**
   * A probe's signal, cached for `ttlMs`. A fresh `unknown` (the upstream failed or answered
   * garbage) is replaced by the last known good signal, marked `stale` with its age.
   */
  async signal<T>(
    key: string,
    ttlMs: number,
    probe: () => Promise<Signal<T>>,
  ): Promise<Signal<T>> {
    const freshKey = `signal:fresh:${key}`;
    const goodKey = `signal:good:${key}`;
    let raw = this.inflight.has(freshKey)
      ? undefined
      : await this.get<Signal<T>>(freshKey);
    if (!raw) {
      raw = await this.coalesce(freshKey, async () => {
        const result = await probe();
        await this.set(freshKey, result, ttlMs);
        if (result.state !== 'unknown')
          await this.set(goodKey, result, this.staleMaxAgeMs);
        return result;
      });
    }
    return this.staleFallback(key, raw);
  }

  /**
   * When `raw` is `unknown`, the last known good signal of `key` marked stale (if one is young
   * enough); otherwise `raw` itself. Also used when a probe missed its deadline.
   */
  async staleFallback<T>(key: string, raw: Signal<T>): Promise<Signal<T>> {
    if (raw.state !== 'unknown') return raw;
    const good = await this.get<Signal<T>>(`signal:good:${key}`);
    if (!good) return raw;
    const ageMs = this.now() - Date.parse(good.observedAt);
    if (!(ageMs >= 0) || ageMs > this.staleMaxAgeMs) return raw;
    const ageSeconds = Math.round(ageMs / 1000);
    return {
      ...good,
      stale: true,
      ageSeconds,
      reason: `${
        raw.reason ?? 'upstream failed'
      }; showing the last known value from ${ageSeconds}s ago`,
      summary: `${good.summary} (stale, ${ageSeconds}s old)`,
    };
  }

  /**
   * Any JSON value, cached for `ttlMs` and coalesced. When `load` throws, the last known good
   * value is served marked stale; without one, the error is thrown.
   */
  async read<T>(
    key: string,
    ttlMs: number,
    load: () => Promise<T>,
  ): Promise<SharedValue<T>> {
    const freshKey = `value:fresh:${key}`;
    const goodKey = `value:good:${key}`;
    const cached = this.inflight.has(freshKey)
      ? undefined
      : await this.get<StoredValue>(freshKey);
    if (cached) return { value: cached.value as T };
    try {
      const value = await this.coalesce(freshKey, async () => {
        const loaded = await load();
        const stored: StoredValue = {
          value: loaded as JsonValue,
          at: this.now(),
        };
        await this.set(freshKey, stored, ttlMs);
        await this.set(goodKey, stored, this.staleMaxAgeMs);
        return loaded;
      });
      return { value };
    } catch (error) {
      const good = await this.get<StoredValue>(goodKey);
      const ageMs = good ? this.now() - good.at : Infinity;
      if (!good || ageMs > this.staleMaxAgeMs) throw error;
      const ageSeconds = Math.round(ageMs / 1000);
      return {
        value: good.value as T,
        stale: true,
        ageSeconds,
        reason: `${describeUpstreamError(
          error,
        )}; showing the last known value from ${ageSeconds}s ago`,
      };
    }
  }
}
