import type {
  DeclareIncidentRequest,
  IncidentChanges,
  IncidentFilter as IncidentQuery,
} from '@vastai-incident/backstage-plugin-common';

// The wire shapes and vocabularies (Incident, TimelineEvent, CommMessage, ...) live once in the
// common package, shared with the frontend: import them from there. These are the backend's
// inputs, each a wire request plus what only the server knows.

/** A declaration, with the integration the router resolved for the entity. */
export interface DeclareInput extends DeclareIncidentRequest {
  integration?: string;
}

export type UpdateInput = IncidentChanges;

export interface IncidentFilter extends IncidentQuery {
  /** Most recent first; default 200. */
  limit?: number;
}

// What the incidents router takes from this module.
export {
  COMM_CHANNELS,
  INCIDENT_STATUSES,
  SEVERITIES,
} from '@vastai-incident/backstage-plugin-common';
export type { Incident } from '@vastai-incident/backstage-plugin-common';
