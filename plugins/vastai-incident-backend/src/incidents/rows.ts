import {
  CommMessage,
  Incident,
  Severity,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../database/migrations';
import {
  BusinessHours,
  DEFAULT_BUSINESS_HOURS,
  responseDueMs,
  responseTargetText,
} from './responseClock';

// Row <-> wire mapping shared by the incidents' stores. Times are stored as epoch ms.

export const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
export const isoOrUndefined = (ms: unknown) =>
  ms === null || ms === undefined ? undefined : iso(ms);
export const numberOrUndefined = (value: unknown) =>
  value === null || value === undefined ? undefined : Number(value);
const parseJson = (text: unknown) =>
  typeof text === 'string' ? JSON.parse(text) : undefined;

/** Runs an insert; false when it broke a unique index (the row exists: a replay or a race). */
export async function insertedOnce(
  insert: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/**
 * An incident row as the wire shape. The response clock is computed here, once, for every
 * reader (the UI shows `responseDueAt` as it is): P1-P3 targets are wall-clock minutes, P4's
 * "next business day" follows the configured business hours.
 */
export function toIncident(
  row: any,
  businessHours: BusinessHours = DEFAULT_BUSINESS_HOURS,
  nowMs = Date.now(),
): Incident {
  const declaredAt = Number(row.declared_at);
  const severity = row.severity as Severity;
  const dueMs = responseDueMs(severity, declaredAt, businessHours);
  const respondedAt = numberOrUndefined(row.responded_at);
  return {
    id: row.id,
    entityRef: row.entity_ref,
    integration: row.integration ?? undefined,
    title: row.title,
    severity: row.severity,
    status: row.status,
    impact: row.impact,
    commander: row.commander,
    declaredBy: row.declared_by,
    declaredAt: iso(declaredAt),
    updatedAt: iso(row.updated_at),
    resolvedAt: isoOrUndefined(row.resolved_at),
    respondedAt: isoOrUndefined(respondedAt),
    responseDueAt: iso(dueMs),
    responseTarget: responseTargetText(severity),
    overdue: respondedAt === undefined ? nowMs > dueMs : respondedAt > dueMs,
    lastTriageSeverity: row.last_triage_severity ?? undefined,
    statuspageIncidentId: row.statuspage_incident_id ?? undefined,
  };
}

export function toEvent(row: any): TimelineEvent {
  return {
    id: Number(row.id),
    incidentId: row.incident_id,
    at: iso(row.at),
    kind: row.kind,
    actor: row.actor ?? undefined,
    summary: row.summary,
    detail: parseJson(row.detail),
  };
}

/** The columns a message and an evidence bundle share: which incident, who made it, when. */
export function incidentRecord(row: any) {
  return {
    id: row.id,
    incidentId: row.incident_id,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A new message or evidence bundle: its id, its incident, who made it and when (epoch ms). */
export interface NewIncidentRecord {
  id: string;
  incidentId: string;
  createdBy: string;
  at: number;
}

export function incidentRecordColumns(record: NewIncidentRecord) {
  return {
    id: record.id,
    incident_id: record.incidentId,
    created_by: record.createdBy,
    created_at: record.at,
    updated_at: record.at,
  };
}

export function toMessage(row: any): CommMessage {
  return {
    ...incidentRecord(row),
    channel: row.channel,
    text: row.text,
    payload: parseJson(row.payload) ?? {},
    status: row.status,
    attempts: Number(row.attempts),
    reason: row.reason ?? undefined,
    retryable: Boolean(row.retryable),
    retryAfter: isoOrUndefined(row.retry_after),
    upstreamStatus: numberOrUndefined(row.upstream_status),
  };
}

export interface NewTimelineEvent {
  kind: string;
  summary: string;
  actor?: string;
  detail?: unknown;
  /** epoch ms; default now */
  at?: number;
  /**
   * Chosen before the first attempt to write the event: an attempt repeated after a lost
   * connection writes nothing more when an earlier one was saved (one event per key).
   */
  key?: string;
}

/** Appends the event; one with a key that is on the timeline already is not written again. */
export async function insertEvent(
  db: Knex | Knex.Transaction,
  incidentId: string,
  event: NewTimelineEvent,
) {
  const insert = db('incident_timeline').insert({
    incident_id: incidentId,
    at: event.at ?? Date.now(),
    kind: event.kind,
    actor: event.actor ?? null,
    summary: event.summary,
    detail: event.detail === undefined ? null : JSON.stringify(event.detail),
    event_key: event.key ?? null,
  });
  await (event.key ? insert.onConflict('event_key').ignore() : insert);
}

/** Whether the timeline holds the event written with `key`. */
export async function hasEvent(
  db: Knex | Knex.Transaction,
  key: string,
): Promise<boolean> {
  return !!(await db('incident_timeline')
    .where({ event_key: key })
    .first('id'));
}

/** The time column that orders each incident table's rows. */
const TIME_COLUMN = {
  incident_timeline: 'at',
  incident_messages: 'created_at',
} as const;

/** The rows of one incident in `table`, oldest first (the id breaks ties), mapped. */
export async function oldestFirst<T>(
  db: Knex,
  table: keyof typeof TIME_COLUMN,
  incidentId: string,
  map: (row: any) => T,
): Promise<T[]> {
  const rows = await db(table)
    .where({ incident_id: incidentId })
    .orderBy([
      { column: TIME_COLUMN[table], order: 'asc' },
      { column: 'id', order: 'asc' },
    ]);
  return rows.map(map);
}
