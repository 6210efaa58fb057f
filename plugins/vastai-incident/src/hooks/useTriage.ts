import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { TriageReport } from '@internal/plugin-vastai-incident-common';
import { vastaiIncidentApiRef } from '../api';
import { PolledResource, usePolledResource } from './usePolledResource';

/** The triage of the entity in context, kept fresh while the page is visible. */
export function useTriage(options?: {
  intervalMs?: number;
}): PolledResource<TriageReport> {
  const { entity } = useEntity();
  const api = useApi(vastaiIncidentApiRef);
  const ref = getCompoundEntityRef(entity);
  return usePolledResource(
    () => api.getTriage(ref),
    [api, ref.kind, ref.namespace, ref.name],
    options,
  );
}
