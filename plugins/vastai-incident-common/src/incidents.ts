import type { Severity } from './types';

// The incident routes' wire shapes and vocabularies, shared by the backend and the frontend.

export const INCIDENT_STATUSES = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;

export const COMM_CHANNELS = ['slack', 'statuspage'] as const;
export type CommChannel = (typeof COMM_CHANNELS)[number];
/** Where a stored message went: the channels above, or PagerDuty (its own routes, `pagerduty.ts`). */
export type MessageChannel = CommChannel | 'pagerduty';

export interface Incident {
  id: string;
  entityRef: string;
  integration?: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  impact: string;
  commander: string;
  declaredBy: string;
  declaredAt: string;
  updatedAt: string;
  resolvedAt?: string;
  /** First message sent or first status change: when people were told / work was visible. */
  respondedAt?: string;
  /**
   * When the response is due, computed by the backend: declaredAt + the severity's target for
   * P1-P3; for P4 ("next business day") the close of the next business day in the configured
   * business hours. Clients show it as it is, never recompute it.
   */
  responseDueAt: string;
  /** The runbook's target in words: "15 min", "1 h", "4 h", "next business day". */
  responseTarget?: string;
  /** Not responded in time (or still not, past the due time). */
  overdue: boolean;
  /** The last severity triage reported while this incident was open. */
  lastTriageSeverity?: Severity | 'none';
  /** The id of the incident created on the company's status page, once one was. */
  statuspageIncidentId?: string;
}

export const TIMELINE_KINDS = [
  'declared',
  'status',
  'severity',
  'commander',
  'impact',
  'note',
  'triage-severity',
  'message',
  'action',
  'evidence',
  'postmortem',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEvent {
  id: number;
  incidentId: string;
  at: string;
  kind: TimelineKind | string;
  actor?: string;
  summary: string;
  detail?: unknown;
}

export type CommStatus = 'sending' | 'sent' | 'failed';

export interface CommMessage {
  id: string;
  incidentId: string;
  channel: MessageChannel;
  text: string;
  /** What was (or will be) sent, for display and retries; no secret values. */
  payload: Record<string, unknown>;
  status: CommStatus;
  attempts: number;
  reason?: string;
  retryable: boolean;
  /** A retry before this time is refused (the upstream's Retry-After). */
  retryAfter?: string;
  upstreamStatus?: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface CommPreview {
  channel: CommChannel;
  /**
   * The filled template; the caller may edit it before sending. For the status page it is the
   * public body exactly as it will be published, from the public template alone.
   */
  text: string;
  /** Slack only: the Block Kit blocks the text becomes. */
  blocks?: unknown[];
  /** Status page only: what the write API will be told besides the text. */
  statuspage?: {
    action: 'create' | 'update';
    /** The public incident's name, exactly as published when the action creates it. */
    name: string;
    status: IncidentStatus;
    impact: string;
    componentStatus: string;
  };
  /** Why sending would fail now (channel not configured). */
  unavailableReason?: string;
}

export type EvidenceStatus = 'building' | 'ready' | 'failed';

export interface EvidenceBundle {
  id: string;
  incidentId: string;
  status: EvidenceStatus;
  progress: number;
  sizeBytes?: number;
  reason?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface Postmortem {
  incidentId: string;
  markdown: string;
  /** False while it is the generated draft, true once someone saved an edited one. */
  saved: boolean;
  updatedBy?: string;
  updatedAt?: string;
}

/** `POST /incidents`: without a severity, triage's (or P4) is taken. */
export interface DeclareIncidentRequest {
  entityRef: string;
  title: string;
  impact: string;
  severity?: Severity;
  /** Default: the person declaring. */
  commander?: string;
}

/** `PATCH /incidents/:id`: only the fields given change; each change is a timeline event. */
export interface IncidentChanges {
  status?: IncidentStatus;
  severity?: Severity;
  commander?: string;
  impact?: string;
}

/** `GET /incidents?status=&severity=&entityRef=&open=` */
export interface IncidentFilter {
  status?: IncidentStatus;
  severity?: Severity;
  entityRef?: string;
  /** true: only incidents not resolved */
  open?: boolean;
}

/** `GET /incidents/:id`: the incident with everything recorded about it. */
export interface IncidentDetail extends Incident {
  timeline: TimelineEvent[];
  messages: CommMessage[];
  evidence: EvidenceBundle[];
}
