import { useApi } from '@backstage/frontend-plugin-api';
import { ActionHistory } from '@vastai-incident/backstage-plugin-common';
import { RemediationApi, remediationApiRef } from '../api/RemediationApi';
import { useEntityResource } from './useEntityResource';
import { PolledResource } from './usePolledResource';

/** The remediation API of the app (the plugin's client unless the app overrides it). */
export function useRemediationApi(): RemediationApi {
  return useApi(remediationApiRef);
}

/** The latest audit rows of the entity in context, read again at each change of `refreshToken`. */
export function useRemediationHistory(
  refreshToken: number,
): PolledResource<ActionHistory> {
  return useEntityResource(
    remediationApiRef,
    (api, entity) => api.getHistory(entity, { limit: 20 }),
    [],
    { intervalMs: 0, refreshToken },
  );
}
