import {
  CompoundEntityRef,
  getCompoundEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useEffect, useRef } from 'react';
import { VastaiIncidentApi, vastaiIncidentApiRef } from '../api';
import { PolledResource, usePolledResource } from './usePolledResource';

/**
 * One backend route of the entity in context, polled like the triage. `refreshToken` lets the
 * tab's single refresh button re-read every section: each change of it reads now.
 */
export function useEntityResource<T>(
  load: (api: VastaiIncidentApi, entity: CompoundEntityRef) => Promise<T>,
  deps: unknown[],
  options?: { intervalMs?: number; refreshToken?: number },
): PolledResource<T> {
  const { entity } = useEntity();
  const api = useApi(vastaiIncidentApiRef);
  const ref = getCompoundEntityRef(entity);
  const resource = usePolledResource(
    () => load(api, ref),
    [api, ref.kind, ref.namespace, ref.name, ...deps],
    options,
  );
  useRefreshOnToken(options?.refreshToken, resource.refresh);
  return resource;
}

/** Calls `refresh` whenever `token` changes after the first render. */
export function useRefreshOnToken(
  token: number | undefined,
  refresh: () => void,
): void {
  const first = useRef(token);
  useEffect(() => {
    if (token === undefined || token === first.current) return;
    first.current = token;
    refresh();
  }, [token, refresh]);
}
