import { useApiHolder } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import useAsync from 'react-use/esm/useAsync';

/**
 * Which of these entity refs the catalog no longer has (or no longer shows to this user).
 * Empty while the catalog has not answered, when it fails, or when the app has no catalog:
 * a ref is marked missing only on the catalog's word.
 */
export function useMissingEntities(entityRefs: string[]): Set<string> {
  const catalog = useApiHolder().get(catalogApiRef);
  const unique = [...new Set(entityRefs)].sort();
  const key = unique.join('\n');
  const { value } = useAsync(async () => {
    if (!catalog || unique.length === 0) return new Set<string>();
    const { items } = await catalog.getEntitiesByRefs({
      entityRefs: unique,
      fields: ['kind', 'metadata.namespace', 'metadata.name'],
    });
    return new Set(unique.filter((_, index) => !items[index]));
    // The refs' content is the dependency, not the array's identity.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [catalog, key]);
  return value ?? new Set<string>();
}
