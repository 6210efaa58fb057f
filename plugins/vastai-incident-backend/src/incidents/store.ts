import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  SEVERITY_RESPONSE_MINUTES,
  Severity,
} from '@internal/plugin-vastai-incident-common';
import type { Knex } from 'knex';
import type {
  CommChannel,
  CommMessage,
  CommStatus,
  EvidenceBundle,
  EvidenceStatus,
  Incident,
  IncidentStatus,
  Postmortem,
  TimelineEvent,
} from './types';

export const INCIDENT_MIGRATIONS_DIR = resolvePackagePath(
  '@internal/plugin-vastai-incident-backend',
  'migrations',
);

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const isoOrUndefined = (ms: unknown) =>
  ms === null || ms === undefined ? undefined : iso(ms);
const parseJson = (text: unknown) =>
  typeof text === 'string' ? JSON.parse(text) : undefined;

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  const code = String(e?.code ?? '');
  return (
    code === '23505' ||
    code.startsWith('SQLITE_CONSTRAINT') ||
    /unique constraint|duplicate key/i.test(String(e?.message ?? ''))
  );
}

function toIncident(row: any, nowMs = Date.now()): Incident {
  const declaredAt = Number(row.declared_at);
  const dueMs =
    declaredAt + SEVERITY_RESPONSE_MINUTES[row.severity as Severity] * 60_000;
  const respondedAt =
    row.responded_at === null || row.responded_at === undefined
      ? undefined
      : Number(row.responded_at);
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
    overdue: respondedAt === undefined ? nowMs > dueMs : respondedAt > dueMs,
    lastTriageSeverity: row.last_triage_severity ?? undefined,
    statuspageIncidentId: row.statuspage_incident_id ?? undefined,
  };
}

function toEvent(row: any): TimelineEvent {
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

function toMessage(row: any): CommMessage {
  return {
    id: row.id,
    incidentId: row.incident_id,
    channel: row.channel,
    text: row.text,
    payload: parseJson(row.payload) ?? {},
    status: row.status,
    attempts: Number(row.attempts),
    reason: row.reason ?? undefined,
    retryable: Boolean(row.retryable),
    retryAfter: isoOrUndefined(row.retry_after),
    upstreamStatus:
      row.upstream_status === null || row.upstream_status === undefined
        ? undefined
        : Number(row.upstream_status),
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function toBundle(row: any): EvidenceBundle {
  return {
    id: row.id,
    incidentId: row.incident_id,
    status: row.status,
    progress: Number(row.progress),
    sizeBytes:
      row.size_bytes === null || row.size_bytes === undefined
        ? undefined
        : Number(row.size_bytes),
    reason: row.reason ?? undefined,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export interface NewTimelineEvent {
  kind: string;
  summary: string;
  actor?: string;
  detail?: unknown;
  /** epoch ms; default now */
  at?: number;
}

/**
 * Appends an event to the timeline of the open incident of `entityRef`, inside the caller's
 * transaction (or any knex), so that e.g. an action's audit row and its timeline entry are
 * written atomically. Returns the incident id, or undefined when the entity has no open incident.
 */
export async function recordTimelineEvent(
  db: Knex | Knex.Transaction,
  event: NewTimelineEvent & { entityRef: string },
): Promise<string | undefined> {
  const open = await db('incident_records')
    .where({ open_entity_ref: event.entityRef })
    .first('id');
  if (!open) return undefined;
  await insertEvent(db, open.id, event);
  return open.id;
}

async function insertEvent(
  db: Knex | Knex.Transaction,
  incidentId: string,
  event: NewTimelineEvent,
) {
  await db('incident_timeline').insert({
    incident_id: incidentId,
    at: event.at ?? Date.now(),
    kind: event.kind,
    actor: event.actor ?? null,
    summary: event.summary,
    detail: event.detail === undefined ? null : JSON.stringify(event.detail),
  });
}

export interface IncidentFilter {
  status?: IncidentStatus;
  severity?: Severity;
  entityRef?: string;
  /** true: not resolved */
  open?: boolean;
  limit?: number;
}

export interface NewIncident {
  id: string;
  entityRef: string;
  integration?: string;
  title: string;
  severity: Severity;
  impact: string;
  commander: string;
  declaredBy: string;
  at: number;
}

export type IncidentChanges = Partial<{
  status: IncidentStatus;
  severity: Severity;
  commander: string;
  impact: string;
  statuspageIncidentId: string;
}>;

/** The incidents' tables. Every text that reaches it was redacted by the service first. */
export class IncidentStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<IncidentStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip && !options.skipMigrations) {
      await knex.migrate.latest({ directory: INCIDENT_MIGRATIONS_DIR });
    }
    return new IncidentStore(knex);
  }

  constructor(readonly knex: Knex) {}

  // ---- incidents

  /** Inserts the incident and its "declared" event; false when the entity has an open one. */
  async insertIncident(
    incident: NewIncident,
    declaredEvent: NewTimelineEvent,
  ): Promise<boolean> {
    try {
      await this.knex.transaction(async trx => {
        await trx('incident_records').insert({
          id: incident.id,
          entity_ref: incident.entityRef,
          integration: incident.integration ?? null,
          title: incident.title,
          severity: incident.severity,
          status: 'investigating',
          impact: incident.impact,
          commander: incident.commander,
          declared_by: incident.declaredBy,
          declared_at: incident.at,
          updated_at: incident.at,
          resolved_at: null,
          responded_at: null,
          open_entity_ref: incident.entityRef,
          last_triage_severity: null,
          statuspage_incident_id: null,
        });
        await insertEvent(trx, incident.id, {
          ...declaredEvent,
          at: incident.at,
        });
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.knex('incident_records').where({ id }).first();
    return row ? toIncident(row) : undefined;
  }

  async openIncidentOf(entityRef: string): Promise<Incident | undefined> {
    const row = await this.knex('incident_records')
      .where({ open_entity_ref: entityRef })
      .first();
    return row ? toIncident(row) : undefined;
  }

  async listIncidents(filter: IncidentFilter = {}): Promise<Incident[]> {
    const query = this.knex('incident_records')
      .orderBy('declared_at', 'desc')
      .limit(filter.limit ?? 200);
    if (filter.status) query.where({ status: filter.status });
    if (filter.severity) query.where({ severity: filter.severity });
    if (filter.entityRef) query.where({ entity_ref: filter.entityRef });
    if (filter.open) query.whereNot({ status: 'resolved' });
    const now = Date.now();
    return (await query).map(row => toIncident(row, now));
  }

  /**
   * Applies changes and appends their timeline events in one transaction. Returns the updated
   * incident, or undefined when it does not exist.
   */
  async updateIncident(
    id: string,
    changes: IncidentChanges,
    events: NewTimelineEvent[],
    at = Date.now(),
  ): Promise<Incident | undefined> {
    return this.knex.transaction(async trx => {
      const row = await trx('incident_records').where({ id }).first();
      if (!row) return undefined;
      const update: Record<string, unknown> = { updated_at: at };
      if (changes.status) {
        update.status = changes.status;
        if (changes.status === 'resolved') {
          update.resolved_at = at;
          update.open_entity_ref = null;
        }
        if (row.responded_at === null || row.responded_at === undefined) {
          update.responded_at = at;
        }
      }
      if (changes.severity) update.severity = changes.severity;
      if (changes.commander) update.commander = changes.commander;
      if (changes.impact !== undefined) update.impact = changes.impact;
      if (changes.statuspageIncidentId)
        update.statuspage_incident_id = changes.statuspageIncidentId;
      await trx('incident_records').where({ id }).update(update);
      for (const event of events) await insertEvent(trx, id, { at, ...event });
      return toIncident(await trx('incident_records').where({ id }).first());
    });
  }

  /** Marks the first response (a message sent) if none was recorded yet. */
  async markResponded(id: string, at = Date.now()): Promise<void> {
    await this.knex('incident_records')
      .where({ id })
      .whereNull('responded_at')
      .update({ responded_at: at });
  }

  /**
   * Records a severity seen by triage on the open incident of the entity, once per change.
   * The conditional update makes concurrent triages record a change only once.
   */
  async noteTriageSeverity(
    entityRef: string,
    severity: Severity | 'none',
    summary: (incident: Incident) => string,
  ): Promise<Incident | undefined> {
    return this.knex.transaction(async trx => {
      const row = await trx('incident_records')
        .where({ open_entity_ref: entityRef })
        .first();
      if (!row || row.last_triage_severity === severity) return undefined;
      const query = trx('incident_records').where({ id: row.id });
      if (row.last_triage_severity === null)
        query.whereNull('last_triage_severity');
      else query.where({ last_triage_severity: row.last_triage_severity });
      const changed = await query.update({ last_triage_severity: severity });
      if (!changed) return undefined;
      const incident = toIncident({ ...row, last_triage_severity: severity });
      await insertEvent(trx, row.id, {
        kind: 'triage-severity',
        summary: summary(incident),
        detail: { severity, previous: row.last_triage_severity ?? undefined },
      });
      return incident;
    });
  }

  // ---- timeline

  async addEvent(incidentId: string, event: NewTimelineEvent): Promise<void> {
    await insertEvent(this.knex, incidentId, event);
  }

  async timeline(incidentId: string): Promise<TimelineEvent[]> {
    const rows = await this.knex('incident_timeline')
      .where({ incident_id: incidentId })
      .orderBy([
        { column: 'at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    return rows.map(toEvent);
  }

  // ---- messages

  async insertMessage(message: {
    id: string;
    incidentId: string;
    channel: CommChannel;
    text: string;
    payload: Record<string, unknown>;
    createdBy: string;
    at: number;
  }): Promise<void> {
    await this.knex('incident_messages').insert({
      id: message.id,
      incident_id: message.incidentId,
      channel: message.channel,
      text: message.text,
      payload: JSON.stringify(message.payload),
      status: 'sending',
      attempts: 0,
      reason: null,
      retryable: false,
      retry_after: null,
      upstream_status: null,
      created_by: message.createdBy,
      created_at: message.at,
      updated_at: message.at,
    });
  }

  /** Claims a message for an attempt: only one attempt at a time (sending) across replicas. */
  async claimMessage(id: string, from: CommStatus[]): Promise<boolean> {
    const changed = await this.knex('incident_messages')
      .where({ id })
      .whereIn('status', from)
      .update({ status: 'sending', updated_at: Date.now() });
    return changed > 0;
  }

  /** Stores the outcome of an attempt and its timeline event in one transaction. */
  async finishAttempt(
    id: string,
    outcome: {
      status: 'sent' | 'failed';
      reason?: string;
      retryable: boolean;
      retryAfterMs?: number;
      upstreamStatus?: number;
    },
    event: NewTimelineEvent,
    incidentChanges?: IncidentChanges,
  ): Promise<CommMessage> {
    return this.knex.transaction(async trx => {
      const row = await trx('incident_messages').where({ id }).first();
      const now = Date.now();
      await trx('incident_messages')
        .where({ id })
        .update({
          status: outcome.status,
          attempts: Number(row.attempts) + 1,
          reason: outcome.reason ?? null,
          retryable: outcome.retryable,
          retry_after: outcome.retryAfterMs ?? null,
          upstream_status: outcome.upstreamStatus ?? null,
          updated_at: now,
        });
      const incidentUpdate: Record<string, unknown> = {};
      if (incidentChanges?.statuspageIncidentId) {
        incidentUpdate.statuspage_incident_id =
          incidentChanges.statuspageIncidentId;
      }
      if (outcome.status === 'sent') {
        await trx('incident_records')
          .where({ id: row.incident_id })
          .whereNull('responded_at')
          .update({ responded_at: now });
      }
      if (Object.keys(incidentUpdate).length) {
        await trx('incident_records')
          .where({ id: row.incident_id })
          .update(incidentUpdate);
      }
      await insertEvent(trx, row.incident_id, { at: now, ...event });
      return toMessage(await trx('incident_messages').where({ id }).first());
    });
  }

  async getMessage(id: string): Promise<CommMessage | undefined> {
    const row = await this.knex('incident_messages').where({ id }).first();
    return row ? toMessage(row) : undefined;
  }

  async listMessages(incidentId: string): Promise<CommMessage[]> {
    const rows = await this.knex('incident_messages')
      .where({ incident_id: incidentId })
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    return rows.map(toMessage);
  }

  // ---- evidence

  async insertBundle(bundle: {
    id: string;
    incidentId: string;
    createdBy: string;
    at: number;
  }): Promise<void> {
    await this.knex('incident_evidence').insert({
      id: bundle.id,
      incident_id: bundle.incidentId,
      status: 'building',
      progress: 0,
      size_bytes: null,
      content: null,
      reason: null,
      created_by: bundle.createdBy,
      created_at: bundle.at,
      updated_at: bundle.at,
    });
  }

  async updateBundle(
    id: string,
    changes: {
      status?: EvidenceStatus;
      progress?: number;
      content?: Buffer;
      reason?: string;
    },
  ): Promise<void> {
    const update: Record<string, unknown> = { updated_at: Date.now() };
    if (changes.status) update.status = changes.status;
    if (changes.progress !== undefined)
      update.progress = Math.max(
        0,
        Math.min(100, Math.round(changes.progress)),
      );
    if (changes.content) {
      update.content = changes.content;
      update.size_bytes = changes.content.length;
    }
    if (changes.reason !== undefined) update.reason = changes.reason;
    await this.knex('incident_evidence').where({ id }).update(update);
  }

  async getBundle(id: string): Promise<EvidenceBundle | undefined> {
    const row = await this.knex('incident_evidence')
      .where({ id })
      .first(
        'id',
        'incident_id',
        'status',
        'progress',
        'size_bytes',
        'reason',
        'created_by',
        'created_at',
        'updated_at',
      );
    return row ? toBundle(row) : undefined;
  }

  async listBundles(incidentId: string): Promise<EvidenceBundle[]> {
    const rows = await this.knex('incident_evidence')
      .where({ incident_id: incidentId })
      .orderBy('created_at', 'desc')
      .select(
        'id',
        'incident_id',
        'status',
        'progress',
        'size_bytes',
        'reason',
        'created_by',
        'created_at',
        'updated_at',
      );
    return rows.map(toBundle);
  }

  async bundleContent(id: string): Promise<Buffer | undefined> {
    const row = await this.knex('incident_evidence')
      .where({ id })
      .first('content');
    if (!row?.content) return undefined;
    return Buffer.isBuffer(row.content)
      ? row.content
      : Buffer.from(row.content as Uint8Array);
  }

  // ---- postmortems

  async getPostmortem(incidentId: string): Promise<Postmortem | undefined> {
    const row = await this.knex('incident_postmortems')
      .where({ incident_id: incidentId })
      .first();
    return row
      ? {
          incidentId,
          markdown: row.markdown,
          saved: true,
          updatedBy: row.updated_by,
          updatedAt: iso(row.updated_at),
        }
      : undefined;
  }

  async savePostmortem(
    incidentId: string,
    markdown: string,
    updatedBy: string,
    event: NewTimelineEvent,
  ): Promise<Postmortem> {
    const at = Date.now();
    await this.knex.transaction(async trx => {
      await trx('incident_postmortems')
        .insert({
          incident_id: incidentId,
          markdown,
          updated_by: updatedBy,
          updated_at: at,
        })
        .onConflict('incident_id')
        .merge(['markdown', 'updated_by', 'updated_at']);
      await insertEvent(trx, incidentId, { at, ...event });
    });
    return {
      incidentId,
      markdown,
      saved: true,
      updatedBy,
      updatedAt: iso(at),
    };
  }
}
