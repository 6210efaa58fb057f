// The wire shapes live in the common package, shared with the frontend.
export {
  INCIDENT_STATUSES,
  SEVERITIES,
  COMM_CHANNELS,
  TIMELINE_KINDS,
} from '@internal/plugin-vastai-incident-common';
export type {
  IncidentStatus,
  CommChannel,
  Incident,
  TimelineKind,
  TimelineEvent,
  CommStatus,
  CommMessage,
  CommPreview,
  EvidenceStatus,
  EvidenceBundle,
  Postmortem,
} from '@internal/plugin-vastai-incident-common';
