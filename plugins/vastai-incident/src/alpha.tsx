/**
 * The Vast.ai incident plugin for the new frontend system.
 *
 * @packageDocumentation
 */
import ReportProblemOutlinedIcon from '@material-ui/icons/ReportProblemOutlined';
import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
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

/**
 * The portal-wide incidents page. frontend-plugin-api 1.0 has no NavItemBlueprint:
 * the page's title is what the app shows for it.
 */
export const vastaiIncidentsPage = PageBlueprint.make({
  params: {
    path: '/vastai-incidents',
    title: 'Vast.ai incidents',
    // With a title and an icon the page is also a sidebar item.
    icon: <ReportProblemOutlinedIcon fontSize="inherit" />,
    // The page draws its own header.
    noHeader: true,
    loader: () =>
      import('./components/IncidentsPage').then(m => <m.VastaiIncidentsPage />),
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
    vastaiIncidentsPage,
  ],
});

export default vastaiIncidentFrontendPlugin;

export { vastaiIncidentApiRef } from './api';
export type { VastaiIncidentApi } from './api';
export { isVastaiIncidentAvailable } from './conditions';
