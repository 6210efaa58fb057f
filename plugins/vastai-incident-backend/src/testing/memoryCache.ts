import type { CacheService } from '@backstage/backend-plugin-api';
import type { JsonValue } from '@backstage/types';

/** A CacheService over a Map with TTLs, counting its calls, for unit tests. */
export function createMemoryCache(now: () => number = Date.now) {
  const store = new Map<string, { value: JsonValue; until: number }>();
  const cache: CacheService & { store: typeof store } = {
    store,
    async get<T extends JsonValue>(key: string) {
      const entry = store.get(key);
      if (!entry || entry.until <= now()) return undefined;
      return entry.value as T;
    },
    async set(key, value, options) {
      const ttl = typeof options?.ttl === 'number' ? options.ttl : 60_000;
      store.set(key, {
        value: JSON.parse(JSON.stringify(value)),
        until: now() + ttl,
      });
    },
    async delete(key) {
      store.delete(key);
    },
    withOptions() {
      return cache;
    },
  };
  return cache;
}
