import appPlugin from '@backstage/plugin-app-backend';
import authPlugin from '@backstage/plugin-auth-backend';
import authModuleGuestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleLogs from '@backstage/plugin-catalog-backend-module-logs';
import eventsPlugin from '@backstage/plugin-events-backend';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import signalsPlugin from '@backstage/plugin-signals-backend';
import vastaiIncidentPlugin from '@vastai-incident/backstage-plugin-backend';
import { permissionModuleVastaiOwnershipPolicy } from './permissions';

/**
 * Every plugin and module of the portal's backend, in one list so that `index.ts` and the tests
 * start exactly the same thing.
 */
export const backendFeatures = [
  // serves packages/app's build (when it has been built) and injects its config
  appPlugin,
  authPlugin,
  authModuleGuestProvider,
  catalogPlugin,
  // logs catalog processing errors (a broken examples/*.yaml shows up in the backend log)
  catalogModuleLogs,
  permissionPlugin,
  permissionModuleVastaiOwnershipPolicy,
  kubernetesPlugin,
  notificationsPlugin,
  signalsPlugin,
  // the events bus the catalog, notifications and signals publish on (without it each warns
  // at start that no events backend is installed)
  eventsPlugin,
  vastaiIncidentPlugin,
  // serves the registered Backstage actions (`backend.actions.pluginSources`) to AI assistants
  // over MCP at /api/mcp-actions/v1
  mcpActionsPlugin,
];
