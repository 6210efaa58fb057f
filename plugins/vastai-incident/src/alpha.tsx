/**
 * The Vast.ai incident plugin for the new frontend system.
 *
 * @packageDocumentation
 */
import ReportProblemOutlinedIcon from '@material-ui/icons/ReportProblemOutlined';
import {
  ApiBlueprint,
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { VASTAI_INCIDENT_PLUGIN_ID } from '@vastai-incident/backstage-plugin-common';
import {
  incidentsApiFactory,
  remediationApiFactory,
  vastaiIncidentApiFactory,
} from './api/factories';
import { isVastaiIncidentAvailable } from './conditions';

// The clients of the backend plugin; apps may override each one.
/** Triage, metrics, pods and logs of an entity. */
export const vastaiIncidentApi = ApiBlueprint.make({
  params: defineParams => defineParams(vastaiIncidentApiFactory),
});
/** Incidents, communications, evidence and postmortems. */
export const vastaiIncidentIncidentsApi = ApiBlueprint.make({
  name: 'incidents',
  params: defineParams => defineParams(incidentsApiFactory),
});
/** Remediations: dry run, apply, follow, history. */
export const vastaiIncidentRemediationApi = ApiBlueprint.make({
  name: 'remediation',
  params: defineParams => defineParams(remediationApiFactory),
});

/** The "Vast.ai incident" tab, only on entities annotated `vast.ai/integration`. */
export const vastaiIncidentEntityContent = EntityContentBlueprint.make({
  params: {
    path: 'vastai-incident',
    title: 'Vast.ai incident',
    filter: isVastaiIncidentAvailable,
    loader: () =>
      import('./components/IncidentTab/VastaiIncidentContent').then(m => (
        <m.VastaiIncidentContent />
      )),
  },
});

// The overview cards. Each loads its own chunk, so entities without the
// annotation (most of the catalog) download none of them.
/** The tab's answer in a card: severity, verdict, first action, a link into the tab. */
export const vastaiTriageSummaryEntityCard = EntityCardBlueprint.make({
  name: 'triage-summary',
  params: {
    filter: isVastaiIncidentAvailable,
    loader: () =>
      import('./components/cards/TriageSummaryCard').then(m => (
        <m.TriageSummaryCard />
      )),
  },
});

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
      import('./components/IncidentsPage/VastaiIncidentsPage').then(m => (
        <m.VastaiIncidentsPage />
      )),
  },
});

/** The plugin: install it explicitly in `createApp({ features })` or via package discovery. */
export const vastaiIncidentFrontendPlugin = createFrontendPlugin({
  pluginId: VASTAI_INCIDENT_PLUGIN_ID,
  title: 'Vast.ai incident',
  extensions: [
    vastaiIncidentApi,
    vastaiIncidentIncidentsApi,
    vastaiIncidentRemediationApi,
    vastaiIncidentEntityContent,
    // First: the card that answers "what now" leads the Overview.
    vastaiTriageSummaryEntityCard,
    vastaiVendorStatusEntityCard,
    vastaiIntegrationHealthEntityCard,
    vastaiErrorRateEntityCard,
    vastaiPodsEntityCard,
    vastaiIncidentsPage,
  ],
});

export default vastaiIncidentFrontendPlugin;

export { vastaiIncidentApiRef } from './api/VastaiIncidentApi';
export type { VastaiIncidentApi } from './api/VastaiIncidentApi';
export { incidentsApiRef } from './api/IncidentsApi';
export type { IncidentsApi } from './api/IncidentsApi';
export { remediationApiRef } from './api/RemediationApi';
export type { RemediationApi } from './api/RemediationApi';
export { isVastaiIncidentAvailable } from './conditions';
