import type {
  CacheService,
  CacheServiceSetOptions,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { JsonValue } from '@backstage/types';
import { describeUpstreamError } from '../upstream';

export interface FallbackCacheOptions {
  /** The Backstage cache service (Redis when replicas share it). */
  shared: CacheService;
  logger?: LoggerService;
  /**
   * How long one shared-cache call may take. A Redis client that lost its server queues
   * commands until it reconnects, so without a deadline a read would wait for as long as
   * Redis is gone.
   */
  timeoutMs?: number;
  /** How long to stay on the per-process cache before trying the shared one again. */
  retryAfterMs?: number;
  /** Most entries the per-process cache keeps (oldest dropped first). */
  maxEntries?: number;
  now?: () => number;
}

interface LocalEntry {
  value: JsonValue;
  until: number;
}

const DEFAULT_TTL_MS = 60_000;

/**
 * The shared cache with a per-process cache behind it. Every value is also kept in this process
 * (bounded, same TTL); while the shared cache fails or does not answer in time, reads and writes
 * go to the process cache alone, so viewers keep getting answers (each replica then pays its own
 * upstream calls). One warning when the shared cache is lost, one info line when it is back;
 * never an error to the caller.
 */
export class FallbackCache {
  private readonly shared: CacheService;
  private readonly logger?: LoggerService;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly local = new Map<string, LocalEntry>();
  /** While set, the shared cache is not used before this time. */
  private downUntil: number | undefined;

  constructor(options: FallbackCacheOptions) {
    this.shared = options.shared;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? 500;
    this.retryAfterMs = options.retryAfterMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 2000;
    this.now = options.now ?? Date.now;
  }

  /** Whether reads and writes currently go to the per-process cache only. */
  get degraded(): boolean {
    return this.downUntil !== undefined;
  }

  async get<T extends JsonValue>(key: string): Promise<T | undefined> {
    if (this.useShared()) {
      try {
        const value = await this.withDeadline(this.shared.get<T>(key));
        this.recovered();
        return value;
      } catch (error) {
        this.lost(error);
      }
    }
    return this.localGet(key) as T | undefined;
  }

  async set(
    key: string,
    value: JsonValue,
    options?: CacheServiceSetOptions,
  ): Promise<void> {
    this.localSet(key, value, options);
    if (!this.useShared()) return;
    try {
      await this.withDeadline(this.shared.set(key, value, options));
      this.recovered();
    } catch (error) {
      this.lost(error);
    }
  }

  /** False while the shared cache is considered gone; the first call after the wait tries it. */
  private useShared(): boolean {
    if (this.downUntil === undefined) return true;
    if (this.now() < this.downUntil) return false;
    // One call tries the shared cache again; the others stay local meanwhile.
    this.downUntil = this.now() + this.retryAfterMs;
    return true;
  }

  private lost(error: unknown) {
    const first = this.downUntil === undefined;
    this.downUntil = this.now() + this.retryAfterMs;
    if (first) {
      this.logger?.warn(
        `shared cache unavailable (${describeUpstreamError(
          error,
        )}); caching per process until it answers again, retrying every ${Math.round(
          this.retryAfterMs / 1000,
        )} s`,
      );
    }
  }

  private recovered() {
    if (this.downUntil === undefined) return;
    this.downUntil = undefined;
    this.logger?.info('shared cache answers again; using it');
  }

  private withDeadline<T>(call: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`no answer within ${this.timeoutMs} ms (timed out)`),
          ),
        this.timeoutMs,
      );
    });
    // A call that outlives its deadline may still fail later: never an unhandled rejection.
    call.catch(() => undefined);
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  }

  private localGet(key: string): JsonValue | undefined {
    const entry = this.local.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.local.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private localSet(
    key: string,
    value: JsonValue,
    options?: CacheServiceSetOptions,
  ) {
    const ttl = typeof options?.ttl === 'number' ? options.ttl : DEFAULT_TTL_MS;
    this.local.delete(key);
    this.local.set(key, { value, until: this.now() + ttl });
    while (this.local.size > this.maxEntries) {
      const oldest = this.local.keys().next().value;
      if (oldest === undefined) break;
      this.local.delete(oldest);
    }
  }
}
