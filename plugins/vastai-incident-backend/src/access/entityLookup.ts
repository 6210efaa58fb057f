import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { VASTAI_INTEGRATION_ANNOTATION } from '@vastai-incident/backstage-plugin-common';

/** What the routes need of an entity: does it exist for this user, which integration it names. */
export interface EntityIntegrationRef {
  found: boolean;
  integrationName?: string;
}

/**
 * Reads an entity's `vast.ai/integration` annotation through the catalog with the caller's own
 * credentials, remembering the answer per (user, entity) for a short time: a dashboard refreshing
 * every few seconds then costs one catalog call per TTL instead of one per request. Concurrent
 * identical lookups share one call. An annotation change takes effect within `ttlMs`.
 */
export class EntityLookup {
  private readonly entries = new Map<
    string,
    { until: number; value: Promise<EntityIntegrationRef> }
  >();

  constructor(
    private readonly catalog: CatalogService,
    private readonly ttlMs: number,
    private readonly maxEntries = 5000,
  ) {}

  lookup(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<EntityIntegrationRef> {
    const principal = credentials.principal as { userEntityRef?: string };
    const key = `${principal.userEntityRef ?? '?'}\u0000${entityRef}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;

    const value = this.catalog
      .getEntityByRef(entityRef, { credentials })
      .then(entity => ({
        found: !!entity,
        integrationName:
          entity?.metadata.annotations?.[VASTAI_INTEGRATION_ANNOTATION],
      }));
    if (this.ttlMs > 0) {
      if (this.entries.size >= this.maxEntries) this.evictExpired(now);
      this.entries.set(key, { until: now + this.ttlMs, value });
      // A failed lookup is not remembered.
      value.catch(() => this.entries.delete(key));
    }
    return value;
  }

  private evictExpired(now: number) {
    for (const [key, entry] of this.entries) {
      if (entry.until <= now) this.entries.delete(key);
    }
    // Still full: drop the oldest (Map keeps insertion order).
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
