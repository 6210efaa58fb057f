/**
 * The Vast.ai incident plugin for the new frontend system.
 *
 * @packageDocumentation
 */
import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { VASTAI_INCIDENT_PLUGIN_ID } from '@internal/plugin-vastai-incident-common';
import { VastaiIncidentClient, vastaiIncidentApiRef } from './api';
import { isVastaiIncidentAvailable } from './conditions';

/** The client for the backend plugin; apps may override it. */
export const vastaiIncidentApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: vastaiIncidentApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new VastaiIncidentClient({ discoveryApi, fetchApi }),
    }),
});

/** The "Vast.ai incident" tab, only on entities annotated `vast.ai/integration`. */
export const vastaiIncidentEntityContent = EntityContentBlueprint.make({
  params: {
    path: 'vastai-incident',
    title: 'Vast.ai incident',
    filter: isVastaiIncidentAvailable,
    loader: () =>
      import('./components/IncidentTab').then(m => <m.VastaiIncidentContent />),
  },
});

// The overview cards. Each loads its own chunk, so entities without the
// annotation (most of the catalog) download none of them.
export const vastaiVendorStatusEntityCard = EntityCardBlueprint.make({
  name: 'vendor-status',
  params: {
    filter: isVastaiIncidentAvailable,
    loader: () =>
      import('./components/cards/VendorStatusCard').then(m => (
        <m.VendorStatusCard />
      )),
  },
});

export const vastaiIntegrationHealthEntityCard = EntityCardBlueprint.make({
  name: 'integration-health',
  params: {
    filter: isVastaiIncidentAvailable,
    loader: () =>
      import('./components/cards/IntegrationHealthCard').then(m => (
        <m.IntegrationHealthCard />
      )),
  },
});

export const vastaiErrorRateEntityCard = EntityCardBlueprint.make({
  name: 'error-rate',
  params: {
    filter: isVastaiIncidentAvailable,
    loader: () =>
      import('./components/cards/ErrorRateCard').then(m => <m.ErrorRateCard />),
  },
});

export const vastaiPodsEntityCard = EntityCardBlueprint.make({
  name: 'pods',
  params: {
    filter: isVastaiIncidentAvailable,
    loader: () =>
      import('./components/cards/PodsCard').then(m => <m.PodsCard />),
  },
});

/** The plugin: install it explicitly in `createApp({ features })` or via package discovery. */
export const vastaiIncidentFrontendPlugin = createFrontendPlugin({
  pluginId: VASTAI_INCIDENT_PLUGIN_ID,
  title: 'Vast.ai incident',
  extensions: [
    vastaiIncidentApi,
    vastaiIncidentEntityContent,
    vastaiVendorStatusEntityCard,
    vastaiIntegrationHealthEntityCard,
    vastaiErrorRateEntityCard,
    vastaiPodsEntityCard,
  ],
});

export default vastaiIncidentFrontendPlugin;

export { vastaiIncidentApiRef } from './api';
export type { VastaiIncidentApi } from './api';
export { isVastaiIncidentAvailable } from './conditions';
