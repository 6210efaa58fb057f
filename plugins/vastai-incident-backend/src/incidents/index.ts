// The wire shapes (Incident, TimelineEvent, ...) are exported by @vastai-incident/backstage-plugin-common.
export { createIncidentsRouter } from './router';
export type { IncidentsRouterDeps } from './router';
export { IncidentService } from './service';
export type { IncidentServiceOptions } from './context';
export type { DeclareInput, UpdateInput, IncidentFilter } from './types';
export {
  IncidentStore,
  recordTimelineEvent,
  INCIDENT_MIGRATIONS_DIR,
} from './store';
export type { NewTimelineEvent } from './store';
export { readIncidentsConfig } from './commsConfig';
export type {
  IncidentsConfig,
  IntegrationCommsConfig,
  SlackConfig,
  StatuspageConfig,
} from './commsConfig';
export { buildEvidenceBundle, readTarGz } from './evidence';
export type { EvidenceSources } from './evidence';
export { incidentTimelineAuditHook } from './actionsHook';
