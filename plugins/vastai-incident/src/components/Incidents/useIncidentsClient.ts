import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { useMemo } from 'react';
import { IncidentsClient } from '../../api/IncidentsClient';

/** The incidents client, built from the app's discovery and fetch APIs: no API registration needed. */
export function useIncidentsClient(): IncidentsClient {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  return useMemo(
    () => new IncidentsClient({ discoveryApi, fetchApi }),
    [discoveryApi, fetchApi],
  );
}
