import {
  EvidenceBundle,
  EvidenceStatus,
  Incident,
  IncidentStatus,
  Postmortem,
  Severity,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { DatabaseStore, MIGRATIONS_DIR } from '../database/migrations';
import { retryRead, retryTransaction } from '../database/retry';
import { MessageStore } from './messageStore';
import {
  hasEvent,
  incidentRecord,
  incidentRecordColumns,
  insertEvent,
  insertedOnce,
  iso,
  NewIncidentRecord,
  NewTimelineEvent,
  numberOrUndefined,
  oldestFirst,
  toEvent,
  toIncident,
} from './rows';
import { BusinessHours, DEFAULT_BUSINESS_HOURS } from './responseClock';
import type { IncidentFilter } from './types';

export type { NewTimelineEvent } from './rows';

/** The plugin's migrations directory (the incidents' tables are among them). */
export const INCIDENT_MIGRATIONS_DIR = MIGRATIONS_DIR;

/** Every column of an evidence bundle but its content (read only for a download). */
const BUNDLE_COLUMNS = [
  'id',
  'incident_id',
  'status',
  'progress',
  'size_bytes',
  'reason',
  'created_by',
  'created_at',
  'updated_at',
];

function toBundle(row: any): EvidenceBundle {
  return {
    ...incidentRecord(row),
    status: row.status,
    progress: Number(row.progress),
    sizeBytes: numberOrUndefined(row.size_bytes),
    reason: row.reason ?? undefined,
  };
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
}>;

/** A change of an incident: the new values and one timeline event per changed field. */
export interface IncidentUpdate {
  changes: IncidentChanges;
  events: NewTimelineEvent[];
}

/** The incidents' tables. Every text that reaches it was redacted by the service first. */
export class IncidentStore extends DatabaseStore {
  constructor(
    knex: Knex,
    /** The business hours of the P4 response clock ("next business day"). */
    private readonly businessHours: BusinessHours = DEFAULT_BUSINESS_HOURS,
  ) {
    super(knex);
  }

  /** The incidents' Slack and status-page messages. */
  readonly messages = new MessageStore(this.knex);

  // ---- incidents

  /**
   * Inserts the incident and its "declared" event; false when the entity has an open one.
   * Tried again after a lost connection; an attempt that may have been saved is looked for by
   * the incident's id first.
   */
  async insertIncident(
    incident: NewIncident,
    declaredEvent: NewTimelineEvent,
  ): Promise<boolean> {
    return insertedOnce(() =>
      retryTransaction(this.knex, async (trx, attempt) => {
        if (
          attempt.uncertain &&
          (await trx('incident_records').where({ id: incident.id }).first('id'))
        ) {
          return;
        }
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
      }),
    );
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await retryRead(() =>
      this.knex('incident_records').where({ id }).first(),
    );
    return row ? toIncident(row, this.businessHours) : undefined;
  }

  async openIncidentOf(entityRef: string): Promise<Incident | undefined> {
    const row = await retryRead(() =>
      this.knex('incident_records')
        .where({ open_entity_ref: entityRef })
        .first(),
    );
    return row ? toIncident(row, this.businessHours) : undefined;
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
    return (await query).map(row => toIncident(row, this.businessHours, now));
  }

  /**
   * Changes an incident in one transaction: its row is locked, `plan` decides the change from
   * the incident as it is now (and refuses by throwing, e.g. when it is resolved), and the new
   * values and their timeline events are written together. So a concurrent change is never
   * planned on a stale read: a resolved incident is never reopened. Undefined when it does not
   * exist. Tried again after a lost connection, planned anew each time; the change's events are
   * keyed, so an attempt that may have been saved is found (and not made twice).
   */
  async changeIncident(
    id: string,
    plan: (current: Incident) => IncidentUpdate,
    at = Date.now(),
  ): Promise<{ before: Incident; after: Incident } | undefined> {
    const key = randomUUID();
    // The incident as the last attempt that reached its commit planned on it.
    let committing: Incident | undefined;
    return retryTransaction(this.knex, async (trx, attempt) => {
      if (
        attempt.uncertain &&
        committing &&
        (await hasEvent(trx, `${key}:0`))
      ) {
        const saved = await trx('incident_records').where({ id }).first();
        return {
          before: committing,
          after: toIncident(saved, this.businessHours),
        };
      }
      const row = await trx('incident_records')
        .where({ id })
        .forUpdate()
        .first();
      if (!row) return undefined;
      const before = toIncident(row, this.businessHours);
      const { changes, events } = plan(before);
      if (!events.length) return { before, after: before };
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
      await trx('incident_records').where({ id }).update(update);
      for (const [i, event] of events.entries()) {
        await insertEvent(trx, id, { at, ...event, key: `${key}:${i}` });
      }
      const after = toIncident(
        await trx('incident_records').where({ id }).first(),
        this.businessHours,
      );
      committing = before;
      return { before, after };
    });
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
      const incident = toIncident(
        { ...row, last_triage_severity: severity },
        this.businessHours,
      );
      await insertEvent(trx, row.id, {
        kind: 'triage-severity',
        summary: summary(incident),
        detail: { severity, previous: row.last_triage_severity ?? undefined },
      });
      return incident;
    });
  }

  // ---- timeline

  /** Appends the event, once, however often a lost connection makes it try again. */
  async addEvent(incidentId: string, event: NewTimelineEvent): Promise<void> {
    const keyed = { ...event, key: event.key ?? randomUUID() };
    await retryTransaction(this.knex, trx =>
      insertEvent(trx, incidentId, keyed),
    );
  }

  /**
   * Appends the event and reads the timeline with it, in one transaction: the caller is told
   * the event was saved only with the timeline that holds it. Once, like `addEvent`.
   */
  async appendToTimeline(
    incidentId: string,
    event: NewTimelineEvent,
  ): Promise<TimelineEvent[]> {
    const keyed = { ...event, key: event.key ?? randomUUID() };
    return retryTransaction(this.knex, async trx => {
      await insertEvent(trx, incidentId, keyed);
      return oldestFirst(trx, 'incident_timeline', incidentId, toEvent);
    });
  }

  timeline(incidentId: string): Promise<TimelineEvent[]> {
    return retryRead(() =>
      oldestFirst(this.knex, 'incident_timeline', incidentId, toEvent),
    );
  }

  // ---- evidence

  async insertBundle(bundle: NewIncidentRecord): Promise<void> {
    await retryTransaction(this.knex, async (trx, attempt) => {
      // An earlier attempt that lost its connection while committing may have saved it.
      if (
        attempt.uncertain &&
        (await trx('incident_evidence').where({ id: bundle.id }).first('id'))
      ) {
        return;
      }
      await trx('incident_evidence').insert({
        ...incidentRecordColumns(bundle),
        status: 'building',
        progress: 0,
        size_bytes: null,
        content: null,
        reason: null,
      });
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
    await retryTransaction(this.knex, trx =>
      trx('incident_evidence').where({ id }).update(update),
    );
  }

  async getBundle(id: string): Promise<EvidenceBundle | undefined> {
    const row = await this.knex('incident_evidence')
      .where({ id })
      .first(BUNDLE_COLUMNS);
    return row ? toBundle(row) : undefined;
  }

  async listBundles(incidentId: string): Promise<EvidenceBundle[]> {
    const rows = await this.knex('incident_evidence')
      .where({ incident_id: incidentId })
      .orderBy('created_at', 'desc')
      .select(BUNDLE_COLUMNS);
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
    const key = randomUUID();
    await retryTransaction(this.knex, async trx => {
      await trx('incident_postmortems')
        .insert({
          incident_id: incidentId,
          markdown,
          updated_by: updatedBy,
          updated_at: at,
        })
        .onConflict('incident_id')
        .merge(['markdown', 'updated_by', 'updated_at']);
      await insertEvent(trx, incidentId, { at, ...event, key });
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
