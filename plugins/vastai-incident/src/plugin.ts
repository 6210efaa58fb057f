import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { VASTAI_INCIDENT_PLUGIN_ID } from '@internal/plugin-vastai-incident-common';
import { VastaiIncidentClient, vastaiIncidentApiRef } from './api';

/** Where an old-system app mounts the tab (`<EntityLayout.Route path="/vastai-incident">`). */
export const rootRouteRef = createRouteRef({ id: VASTAI_INCIDENT_PLUGIN_ID });

/** The plugin for apps on the old frontend system. */
export const vastaiIncidentPlugin = createPlugin({
  id: VASTAI_INCIDENT_PLUGIN_ID,
  apis: [
    createApiFactory({
      api: vastaiIncidentApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new VastaiIncidentClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/** The "Vast.ai incident" tab content, for `EntityLayout.Route`. */
export const EntityVastaiIncidentContent = vastaiIncidentPlugin.provide(
  createRoutableExtension({
    name: 'EntityVastaiIncidentContent',
    component: () =>
      import('./components/IncidentTab').then(m => m.VastaiIncidentContent),
    mountPoint: rootRouteRef,
  }),
);

export const EntityVastaiVendorStatusCard = vastaiIncidentPlugin.provide(
  createComponentExtension({
    name: 'EntityVastaiVendorStatusCard',
    component: {
      lazy: () =>
        import('./components/cards/VendorStatusCard').then(
          m => m.VendorStatusCard,
        ),
    },
  }),
);

export const EntityVastaiIntegrationHealthCard = vastaiIncidentPlugin.provide(
  createComponentExtension({
    name: 'EntityVastaiIntegrationHealthCard',
    component: {
      lazy: () =>
        import('./components/cards/IntegrationHealthCard').then(
          m => m.IntegrationHealthCard,
        ),
    },
  }),
);

export const EntityVastaiErrorRateCard = vastaiIncidentPlugin.provide(
  createComponentExtension({
    name: 'EntityVastaiErrorRateCard',
    component: {
      lazy: () =>
        import('./components/cards/ErrorRateCard').then(m => m.ErrorRateCard),
    },
  }),
);

export const EntityVastaiPodsCard = vastaiIncidentPlugin.provide(
  createComponentExtension({
    name: 'EntityVastaiPodsCard',
    component: {
      lazy: () => import('./components/cards/PodsCard').then(m => m.PodsCard),
    },
  }),
);
