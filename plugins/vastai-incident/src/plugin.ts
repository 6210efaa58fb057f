import {
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
} from '@backstage/core-plugin-api';
import { VASTAI_INCIDENT_PLUGIN_ID } from '@vastai-incident/backstage-plugin-common';
import {
  incidentsApiFactory,
  remediationApiFactory,
  vastaiIncidentApiFactory,
} from './api/factories';

/** Where an old-system app mounts the tab (`<EntityLayout.Route path="/vastai-incident">`). */
export const rootRouteRef = createRouteRef({ id: VASTAI_INCIDENT_PLUGIN_ID });

/** The plugin for apps on the old frontend system. */
export const vastaiIncidentPlugin = createPlugin({
  id: VASTAI_INCIDENT_PLUGIN_ID,
  apis: [vastaiIncidentApiFactory, incidentsApiFactory, remediationApiFactory],
  routes: { root: rootRouteRef },
});

/** The "Vast.ai incident" tab content, for `EntityLayout.Route`. */
export const EntityVastaiIncidentContent = vastaiIncidentPlugin.provide(
  createRoutableExtension({
    name: 'EntityVastaiIncidentContent',
    component: () =>
      import('./components/IncidentTab/VastaiIncidentContent').then(
        m => m.VastaiIncidentContent,
      ),
    mountPoint: rootRouteRef,
  }),
);

/** Severity, verdict, the first recommended action and a link into the tab. */
export const EntityVastaiTriageSummaryCard = vastaiIncidentPlugin.provide(
  createComponentExtension({
    name: 'EntityVastaiTriageSummaryCard',
    component: {
      lazy: () =>
        import('./components/cards/TriageSummaryCard').then(
          m => m.TriageSummaryCard,
        ),
    },
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
