import type {
  CommMessage,
  MessageChannel,
} from '@vastai-incident/backstage-plugin-common';
import { randomUUID } from 'node:crypto';
import { DatabaseStore } from '../database/migrations';
import { retryTransaction } from '../database/retry';
import {
  hasEvent,
  incidentRecordColumns,
  insertEvent,
  insertedOnce,
  NewIncidentRecord,
  NewTimelineEvent,
  oldestFirst,
  toMessage,
} from './rows';

/** A stored message with the keys that make its send and its retries idempotent. */
export interface StoredMessage {
  message: CommMessage;
  /** The Idempotency-Key of the send that created the message. */
  idempotencyKey?: string;
  /** The Idempotency-Key of the latest retry, and who asked for it. */
  retryKey?: string;
  retryBy?: string;
}

export interface NewMessage extends NewIncidentRecord {
  channel: MessageChannel;
  text: string;
  payload: Record<string, unknown>;
  idempotencyKey: string;
}

/** The outcome of one attempt to deliver a message. */
export interface AttemptOutcome {
  status: 'sent' | 'failed';
  reason?: string;
  retryable: boolean;
  /** epoch ms before which a retry is refused */
  retryAfterMs?: number;
  upstreamStatus?: number;
}

function toStored(row: any): StoredMessage {
  return {
    message: toMessage(row),
    idempotencyKey: row.idempotency_key ?? undefined,
    retryKey: row.retry_key ?? undefined,
    retryBy: row.retry_by ?? undefined,
  };
}

/**
 * The messages of incidents (Slack, status page, PagerDuty events) and the one claim per incident on creating its
 * status-page incident. Every text that reaches it was redacted by the service first.
 */
export class MessageStore extends DatabaseStore {
  /**
   * Inserts the message, being sent; false when its incident has a message with that key. Tried
   * again after a lost connection; an attempt that may have been saved is looked for by id.
   */
  async insert(message: NewMessage): Promise<boolean> {
    return insertedOnce(() =>
      retryTransaction(this.knex, async (trx, attempt) => {
        if (
          attempt.uncertain &&
          (await trx('incident_messages').where({ id: message.id }).first('id'))
        ) {
          return;
        }
        await trx('incident_messages').insert({
          ...incidentRecordColumns(message),
          channel: message.channel,
          text: message.text,
          payload: JSON.stringify(message.payload),
          status: 'sending',
          attempts: 0,
          reason: null,
          retryable: false,
          retry_after: null,
          upstream_status: null,
          idempotency_key: message.idempotencyKey,
        });
      }),
    );
  }

  async find(id: string): Promise<StoredMessage | undefined> {
    const row = await this.knex('incident_messages').where({ id }).first();
    return row ? toStored(row) : undefined;
  }

  async findByKey(
    incidentId: string,
    idempotencyKey: string,
  ): Promise<StoredMessage | undefined> {
    const row = await this.knex('incident_messages')
      .where({ incident_id: incidentId, idempotency_key: idempotencyKey })
      .first();
    return row ? toStored(row) : undefined;
  }

  async get(id: string): Promise<CommMessage | undefined> {
    return (await this.find(id))?.message;
  }

  list(incidentId: string): Promise<CommMessage[]> {
    return oldestFirst(this.knex, 'incident_messages', incidentId, toMessage);
  }

  /**
   * Claims a failed message for a retry: only one attempt at a time (sending) across replicas.
   * The retry's key and user are recorded with the claim, so that a replay finds them.
   */
  async claimRetry(
    id: string,
    retry: { key?: string; actor: string },
  ): Promise<boolean> {
    // A marker of this claim: an attempt that may have been saved is recognised by it.
    const claim = { retry_key: retry.key ?? null, retry_by: retry.actor };
    const at = Date.now();
    return retryTransaction(this.knex, async (trx, attempt) => {
      if (attempt.uncertain) {
        const row = await trx('incident_messages')
          .where({ id, status: 'sending', ...claim, updated_at: at })
          .first('id');
        if (row) return true;
      }
      const changed = await trx('incident_messages')
        .where({ id, status: 'failed' })
        .update({ status: 'sending', ...claim, updated_at: at });
      return changed > 0;
    });
  }

  /**
   * Stores the outcome of an attempt, its timeline event, the first response of the incident
   * and the status-page incident the attempt created, in one transaction; releases the
   * message's claim on creating the status-page incident.
   */
  async finishAttempt(
    id: string,
    outcome: AttemptOutcome,
    event: NewTimelineEvent,
    createdStatuspageId?: string,
  ): Promise<CommMessage> {
    const key = randomUUID();
    return retryTransaction(this.knex, async (trx, attempt) => {
      // Saved by an earlier attempt that lost its connection while committing: not twice.
      if (attempt.uncertain && (await hasEvent(trx, key))) {
        return toMessage(await trx('incident_messages').where({ id }).first());
      }
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
      const incident = () =>
        trx('incident_records').where({ id: row.incident_id });
      if (outcome.status === 'sent') {
        await incident()
          .whereNull('responded_at')
          .update({ responded_at: now });
      }
      if (createdStatuspageId) {
        await incident()
          .whereNull('statuspage_incident_id')
          .update({ statuspage_incident_id: createdStatuspageId });
      }
      await incident()
        .where({ statuspage_claim: id })
        .update({ statuspage_claim: null, statuspage_claimed_at: null });
      await insertEvent(trx, row.incident_id, { at: now, ...event, key });
      return toMessage(await trx('incident_messages').where({ id }).first());
    });
  }

  // ---- the status page's incident: created once per incident

  async statuspageIncidentIdOf(
    incidentId: string,
  ): Promise<string | undefined> {
    const row = await this.knex('incident_records')
      .where({ id: incidentId })
      .first('statuspage_incident_id');
    return row?.statuspage_incident_id ?? undefined;
  }

  /**
   * Claims the creation of the incident's status-page incident for one message, across
   * replicas: true while the incident has none and no other message holds a claim newer than
   * `staleBefore` (epoch ms; an older claim was left by a process that died).
   */
  async claimStatuspageCreate(
    incidentId: string,
    messageId: string,
    staleBefore: number,
  ): Promise<boolean> {
    const changed = await this.knex('incident_records')
      .where({ id: incidentId })
      .whereNull('statuspage_incident_id')
      .where(q =>
        q
          .whereNull('statuspage_claim')
          .orWhere({ statuspage_claim: messageId })
          .orWhere('statuspage_claimed_at', '<', staleBefore),
      )
      .update({
        statuspage_claim: messageId,
        statuspage_claimed_at: Date.now(),
      });
    return changed > 0;
  }
}
