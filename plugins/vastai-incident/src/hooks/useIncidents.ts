import { useApi } from '@backstage/frontend-plugin-api';
import {
  Incident,
  IncidentDetail,
} from '@vastai-incident/backstage-plugin-common';
import { useCallback, useRef } from 'react';
import { IncidentsApi, incidentsApiRef } from '../api/IncidentsApi';
import { usePolledResource } from './usePolledResource';

/** The incidents API of the app (the plugin's client unless the app overrides it). */
export function useIncidentsApi(): IncidentsApi {
  return useApi(incidentsApiRef);
}

export interface IncidentsState {
  /** The entity's incidents, newest first. */
  incidents?: Incident[];
  /** The incident shown: the one chosen, else the open one, else the latest. */
  detail?: IncidentDetail;
  error?: Error;
  loading: boolean;
  /** Reads again; resolves once the answer is shown. */
  refresh: () => Promise<void>;
  choose: (id: string | undefined) => Promise<void>;
}

/**
 * The incidents of one entity and the full record of the shown one, re-read every
 * `intervalMs` (0: only on demand) so the timeline follows what others do.
 */
export function useIncidents(
  entityRef: string,
  intervalMs: number,
): IncidentsState {
  const api = useIncidentsApi();
  const chosen = useRef<string | undefined>(undefined);
  const resource = usePolledResource(
    async () => {
      const incidents = await api.list({ entityRef });
      const open = incidents.find(i => i.status !== 'resolved');
      const shown =
        incidents.find(i => i.id === chosen.current) ?? open ?? incidents[0];
      const detail = shown ? await api.get(shown.id) : undefined;
      return { incidents, detail };
    },
    [api, entityRef],
    { intervalMs },
  );
  const { refresh } = resource;
  const choose = useCallback(
    (id: string | undefined) => {
      chosen.current = id;
      return refresh();
    },
    [refresh],
  );
  return {
    incidents: resource.value?.incidents,
    detail: resource.value?.detail,
    error: resource.error,
    loading: resource.loading,
    refresh,
    choose,
  };
}

/** The entity's open (not resolved) incident, if any, re-read every `intervalMs`. */
export function useOpenIncident(
  entityRef: string,
  intervalMs: number,
): Incident | undefined {
  const api = useIncidentsApi();
  const resource = usePolledResource(
    async () => {
      const incidents = await api.list({ entityRef });
      return (Array.isArray(incidents) ? incidents : []).find(
        i => i.status !== 'resolved',
      );
    },
    [api, entityRef],
    { intervalMs },
  );
  return resource.value;
}
