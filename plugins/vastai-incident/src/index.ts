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
  EntityVastaiTriageSummaryCard,
  EntityVastaiVendorStatusCard,
  EntityVastaiIntegrationHealthCard,
  EntityVastaiErrorRateCard,
  EntityVastaiPodsCard,
} from './plugin';
export { isVastaiIncidentAvailable } from './conditions';
export { vastaiIncidentApiRef } from './api/VastaiIncidentApi';
export type { VastaiIncidentApi, PodsResponse } from './api/VastaiIncidentApi';
export { VastaiIncidentClient } from './api/VastaiIncidentClient';
export { incidentsApiRef } from './api/IncidentsApi';
export type { IncidentsApi, DownloadedFile } from './api/IncidentsApi';
export { IncidentsClient } from './api/IncidentsClient';
export { remediationApiRef } from './api/RemediationApi';
export type { RemediationApi } from './api/RemediationApi';
export { RemediationClient } from './api/RemediationClient';
export type { PluginBackendOptions } from './api/PluginBackendClient';
export type { VastaiIncidentContentProps } from './components/IncidentTab/VastaiIncidentContent';

/** Where an old-system app mounts the portal-wide incidents page. */
export const incidentsPageRouteRef = createRouteRef({
  id: 'vastai-incident:incidents-page',
});

/** The portal-wide incidents page, for `<Route path="/vastai-incidents">` in an old-system app. */
export const VastaiIncidentsPage = vastaiIncidentPlugin.provide(
  createRoutableExtension({
    name: 'VastaiIncidentsPage',
    component: () =>
      import('./components/IncidentsPage/VastaiIncidentsPage').then(
        m => m.VastaiIncidentsPage,
      ),
    mountPoint: incidentsPageRouteRef,
  }),
);
