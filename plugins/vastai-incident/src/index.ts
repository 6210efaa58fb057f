/**
 * Vast.ai incident tab and health cards for Backstage catalog entities.
 *
 * The default export is the plugin for the new frontend system (also at
 * `/alpha`); the named exports serve apps on the old frontend system.
 *
 * @packageDocumentation
 */
import {
  createRoutableExtension,
  createRouteRef,
} from '@backstage/core-plugin-api';
import { vastaiIncidentPlugin } from './plugin';

export { default } from './alpha';
export {
  vastaiIncidentPlugin,
  rootRouteRef,
  EntityVastaiIncidentContent,
  EntityVastaiVendorStatusCard,
  EntityVastaiIntegrationHealthCard,
  EntityVastaiErrorRateCard,
  EntityVastaiPodsCard,
} from './plugin';
export { isVastaiIncidentAvailable } from './conditions';
export { vastaiIncidentApiRef, VastaiIncidentClient } from './api';
export type { VastaiIncidentApi, PodsResponse } from './api';
export type { VastaiIncidentContentProps } from './components/IncidentTab';

/** Where an old-system app mounts the portal-wide incidents page. */
export const incidentsPageRouteRef = createRouteRef({
  id: 'vastai-incident:incidents-page',
});

/** The portal-wide incidents page, for `<Route path="/vastai-incidents">` in an old-system app. */
export const VastaiIncidentsPage = vastaiIncidentPlugin.provide(
  createRoutableExtension({
    name: 'VastaiIncidentsPage',
    component: () =>
      import('./components/IncidentsPage').then(m => m.VastaiIncidentsPage),
    mountPoint: incidentsPageRouteRef,
  }),
);
