import {
  ApiRef,
  createApiFactory,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { IncidentsApi, incidentsApiRef } from './IncidentsApi';
import { IncidentsClient } from './IncidentsClient';
import { PluginBackendOptions } from './PluginBackendClient';
import { RemediationApi, remediationApiRef } from './RemediationApi';
import { RemediationClient } from './RemediationClient';
import { VastaiIncidentApi, vastaiIncidentApiRef } from './VastaiIncidentApi';
import { VastaiIncidentClient } from './VastaiIncidentClient';

/** An API made by its client over the app's discovery and fetch APIs. */
function backendClientFactory<TApi>(
  api: ApiRef<TApi>,
  Client: new (options: PluginBackendOptions) => TApi,
) {
  return createApiFactory({
    api,
    deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
    factory: deps => new Client(deps),
  });
}

// The plugin's APIs, registered in both frontend systems (alpha.tsx and plugin.ts).
export const vastaiIncidentApiFactory = backendClientFactory<VastaiIncidentApi>(
  vastaiIncidentApiRef,
  VastaiIncidentClient,
);
export const incidentsApiFactory = backendClientFactory<IncidentsApi>(
  incidentsApiRef,
  IncidentsClient,
);
export const remediationApiFactory = backendClientFactory<RemediationApi>(
  remediationApiRef,
  RemediationClient,
);
