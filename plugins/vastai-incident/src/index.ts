/**
 * Vast.ai incident tab and health cards for Backstage catalog entities.
 *
 * The default export is the plugin for the new frontend system (also at
 * `/alpha`); the named exports serve apps on the old frontend system.
 *
 * @packageDocumentation
 */
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
