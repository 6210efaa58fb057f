export { createIncidentsRouter } from './router';
export type { IncidentsRouterDeps } from './router';
export { IncidentService } from './service';
export type {
  IncidentServiceOptions,
  DeclareInput,
  UpdateInput,
} from './service';
export {
  IncidentStore,
  recordTimelineEvent,
  INCIDENT_MIGRATIONS_DIR,
} from './store';
export type { NewTimelineEvent, IncidentFilter } from './store';
export { readIncidentsConfig } from './commsConfig';
export type {
  IncidentsConfig,
  IntegrationCommsConfig,
  SlackConfig,
  StatuspageConfig,
} from './commsConfig';
export { buildEvidenceBundle, readTarGz } from './evidence';
export type { EvidenceSources } from './evidence';
export * from './types';
export { incidentTimelineAuditHook } from './actionsHook';
