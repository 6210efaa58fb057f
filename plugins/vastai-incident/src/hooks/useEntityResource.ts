import {
  CompoundEntityRef,
  getCompoundEntityRef,
} from '@backstage/catalog-model';
import { ApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { TriageReport } from '@vastai-incident/backstage-plugin-common';
import { useEffect, useRef } from 'react';
import { vastaiIncidentApiRef } from '../api/VastaiIncidentApi';
import { PolledResource, usePolledResource } from './usePolledResource';

/**
 * One backend route of the entity in context, read through `apiRef` and polled like the
 * triage. `refreshToken` lets the tab's single refresh button re-read every section: each
 * change of it reads now.
 */
export function useEntityResource<TApi, T>(
  apiRef: ApiRef<TApi>,
  load: (api: TApi, entity: CompoundEntityRef) => Promise<T>,
  deps: unknown[],
  options?: { intervalMs?: number; refreshToken?: number },
): PolledResource<T> {
  const { entity } = useEntity();
  const api = useApi(apiRef);
  const ref = getCompoundEntityRef(entity);
  const resource = usePolledResource(
    () => load(api, ref),
    [api, ref.kind, ref.namespace, ref.name, ...deps],
    options,
  );
  useRefreshOnToken(options?.refreshToken, resource.refresh);
  return resource;
}

/** The triage of the entity in context, kept fresh while the page is visible. */
export function useTriage(options?: {
  intervalMs?: number;
}): PolledResource<TriageReport> {
  return useEntityResource(
    vastaiIncidentApiRef,
    (api, entity) => api.getTriage(entity),
    [],
    options,
  );
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
