import {
  type CommChannel,
  type CommMessage,
  type CommPreview,
  type DeclareIncidentRequest,
  type EvidenceBundle,
  type Incident,
  type IncidentChanges,
  type IncidentDetail,
  type IncidentFilter,
  type PagerDutyAction,
  type PagerDutyPreview,
  type PagerDutyStatus,
  type Postmortem,
  type TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import { pluginApiRef } from './pluginApiRef';

/** A file fetched with the user's credentials, ready to be saved. */
export interface DownloadedFile {
  blob: Blob;
  fileName: string;
}

/** The incidents, their communications, evidence bundles and postmortems (`/v1/incidents...`). */
export interface IncidentsApi {
  list(filter?: IncidentFilter): Promise<Incident[]>;
  declare(request: DeclareIncidentRequest): Promise<Incident>;
  get(id: string): Promise<IncidentDetail>;
  update(id: string, changes: IncidentChanges): Promise<Incident>;
  addNote(id: string, text: string): Promise<TimelineEvent[]>;
  previewMessage(id: string, channel: CommChannel): Promise<CommPreview>;
  /** Sends a message; sending again with the same key (after a timeout) never sends it twice. */
  sendMessage(
    id: string,
    channel: CommChannel,
    text: string,
    idempotencyKey: string,
  ): Promise<CommMessage>;
  retryMessage(id: string, messageId: string): Promise<CommMessage>;
  /** The incident's PagerDuty page: configured, state, and why an action is unavailable. */
  getPagerDutyStatus(id: string): Promise<PagerDutyStatus>;
  previewPagerDuty(
    id: string,
    action: PagerDutyAction,
  ): Promise<PagerDutyPreview>;
  /** Sends a PagerDuty event; again with the same key (after a timeout) never sends it twice. */
  sendPagerDuty(
    id: string,
    action: PagerDutyAction,
    text: string | undefined,
    idempotencyKey: string,
  ): Promise<CommMessage>;
  startEvidence(id: string): Promise<EvidenceBundle>;
  getEvidence(id: string, bundleId: string): Promise<EvidenceBundle>;
  downloadEvidence(id: string, bundleId: string): Promise<DownloadedFile>;
  getPostmortem(id: string): Promise<Postmortem>;
  savePostmortem(id: string, markdown: string): Promise<Postmortem>;
  downloadPostmortem(id: string): Promise<DownloadedFile>;
}

export const incidentsApiRef = pluginApiRef<IncidentsApi>('incidents');
