import { mockServices } from '@backstage/backend-test-utils';
import type { Signal } from '@vastai-incident/backstage-plugin-common';
import { createMemoryCache } from '../testing/memoryCache';
import { FallbackCache } from './fallbackCache';
import { SharedReads } from './sharedReads';

/** A shared cache whose server went away: every call waits forever, as a Redis client's offline queue does. */
function hangingCache() {
  const cache = createMemoryCache();
  let calls = 0;
  let hang = true;
  const original = { get: cache.get, set: cache.set };
  cache.get = (async (key: string) => {
    calls++;
    if (hang) return new Promise(() => undefined);
    return original.get(key);
  }) as typeof cache.get;
  cache.set = (async (...args: Parameters<typeof cache.set>) => {
    calls++;
    if (hang) return new Promise(() => undefined);
    return original.set(...args);
  }) as typeof cache.set;
  return {
    cache,
    calls: () => calls,
    heal: () => {
      hang = false;
    },
  };
}

function spyLogger() {
  const logger = mockServices.logger.mock();
  return logger;
}

describe('FallbackCache', () => {
  it('answers from the process cache within its deadline when the shared cache hangs, with one warning', async () => {
    const shared = hangingCache();
    const logger = spyLogger();
    let now = 1_000_000;
    const cache = new FallbackCache({
      shared: shared.cache,
      logger,
      timeoutMs: 50,
      retryAfterMs: 10_000,
      now: () => now,
    });
    const started = Date.now();
    await cache.set('k', { a: 1 }, { ttl: 5000 });
    expect(cache.degraded).toBe(true);
    expect(await cache.get('k')).toEqual({ a: 1 });
    for (let i = 0; i < 20; i++) await cache.get('k');
    // Only the first call paid the deadline; the others did not touch the shared cache.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(shared.calls()).toBe(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(String(logger.warn.mock.calls[0][0])).toContain(
      'shared cache unavailable',
    );
    // Entries keep their TTL in the process cache too.
    now += 6000;
    expect(await cache.get('k')).toBeUndefined();
  });

  it('tries the shared cache again after the wait, and says once that it is back', async () => {
    const shared = hangingCache();
    const logger = spyLogger();
    let now = 1_000_000;
    const cache = new FallbackCache({
      shared: shared.cache,
      logger,
      timeoutMs: 50,
      retryAfterMs: 10_000,
      now: () => now,
    });
    await cache.get('k');
    expect(cache.degraded).toBe(true);
    now += 11_000;
    await cache.get('k');
    expect(shared.calls()).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    shared.heal();
    now += 11_000;
    await cache.set('k', 'v', { ttl: 5000 });
    expect(cache.degraded).toBe(false);
    expect(await shared.cache.get('k')).toBe('v');
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(String(logger.info.mock.calls[0][0])).toContain('answers again');
  });

  it('lets SharedReads cache per process while the shared cache is gone: one upstream call per TTL', async () => {
    const shared = hangingCache();
    const reads = new SharedReads({
      cache: shared.cache,
      staleMaxAgeMs: 60_000,
      cacheTimeoutMs: 50,
    });
    let calls = 0;
    const probe = async (): Promise<Signal<number>> => {
      calls++;
      return {
        source: 'metrics',
        state: 'ok',
        summary: 'ok',
        value: 1,
        observedAt: new Date().toISOString(),
        latencyMs: 1,
      };
    };
    for (let i = 0; i < 10; i++) {
      expect((await reads.signal('k', 5000, probe)).state).toBe('ok');
    }
    expect(calls).toBe(1);
  });
});
