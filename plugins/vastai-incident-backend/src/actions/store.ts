import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import type { ActionAuditEntry, ActionRun } from './types';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-vastai-incident-backend',
  'migrations',
);

/** What one audit row holds; written once, never updated or deleted (S20). */
export interface AuditRowInput {
  runId?: string;
  actor: string;
  entityRef: string;
  integration?: string;
  actionId: string;
  dryRun: boolean;
  outcome: string;
  reason?: string;
  diff?: unknown;
  previous?: unknown;
  verification?: unknown;
  idempotencyKey?: string;
  startedAt: number;
  finishedAt: number;
}

/**
 * Called inside the audit row's transaction, so a caller (the incidents module) can write its
 * timeline entry atomically with it.
 */
export type AuditHook = (
  trx: Knex.Transaction,
  row: AuditRowInput,
) => Promise<void>;

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  const code = String(e?.code ?? '');
  return (
    code === '23505' ||
    code.startsWith('SQLITE_CONSTRAINT') ||
    /unique constraint|duplicate key/i.test(String(e?.message ?? ''))
  );
}

const json = (value: unknown) =>
  value === undefined ? null : JSON.stringify(value);
const parse = (text: unknown) =>
  typeof text === 'string' ? JSON.parse(text) : undefined;
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

/** The actions' tables: audit (append-only), runs, locks, replaced values, key ids. */
export class ActionStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<ActionStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip && !options.skipMigrations) {
      await knex.migrate.latest({ directory: migrationsDir });
    }
    return new ActionStore(knex);
  }

  constructor(readonly knex: Knex) {}

  // ---- audit (append only: there is no update or delete method on purpose)

  async appendAudit(row: AuditRowInput, hook?: AuditHook): Promise<void> {
    await this.knex.transaction(async trx => {
      await trx('vastai_action_audit').insert({
        run_id: row.runId ?? null,
        actor: row.actor,
        entity_ref: row.entityRef,
        integration: row.integration ?? null,
        action_id: row.actionId,
        dry_run: row.dryRun,
        outcome: row.outcome,
        reason: row.reason ?? null,
        diff: json(row.diff),
        previous: json(row.previous),
        verification: json(row.verification),
        idempotency_key: row.idempotencyKey ?? null,
        started_at: row.startedAt,
        finished_at: row.finishedAt,
        duration_ms: Math.max(0, Math.round(row.finishedAt - row.startedAt)),
      });
      if (hook) await hook(trx, row);
    });
  }

  async listAudit(entityRef: string, limit = 100): Promise<ActionAuditEntry[]> {
    const rows = await this.knex('vastai_action_audit')
      .where({ entity_ref: entityRef })
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(r => ({
      id: Number(r.id),
      runId: r.run_id ?? undefined,
      actor: r.actor,
      entityRef: r.entity_ref,
      integration: r.integration ?? undefined,
      actionId: r.action_id,
      dryRun: Boolean(r.dry_run),
      outcome: r.outcome,
      reason: r.reason ?? undefined,
      diff: parse(r.diff),
      previous: parse(r.previous),
      verification: parse(r.verification),
      idempotencyKey: r.idempotency_key ?? undefined,
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      durationMs: Number(r.duration_ms),
    }));
  }

  // ---- runs, by idempotency key

  /** Inserts the run; false when a run with the same (entity, action, key) exists (a replay). */
  async insertRun(run: ActionRun, idempotencyKey: string): Promise<boolean> {
    const now = Date.now();
    try {
      await this.knex('vastai_action_runs').insert({
        run_id: run.runId,
        entity_ref: run.entityRef,
        action_id: run.actionId,
        idempotency_key: idempotencyKey,
        actor: run.actor,
        status: run.status,
        result: JSON.stringify(run),
        created_at: now,
        updated_at: now,
        finished_at: null,
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async saveRun(run: ActionRun): Promise<void> {
    await this.knex('vastai_action_runs')
      .where({ run_id: run.runId })
      .update({
        status: run.status,
        result: JSON.stringify(run),
        updated_at: Date.now(),
        finished_at: run.finishedAt ? Date.parse(run.finishedAt) : null,
      });
  }

  /** awaiting-approval -> running, once: true for the one caller that made the change. */
  async claimApproval(runId: string): Promise<boolean> {
    const changed = await this.knex('vastai_action_runs')
      .where({ run_id: runId, status: 'awaiting-approval' })
      .update({ status: 'running', updated_at: Date.now() });
    return changed === 1;
  }

  async findRunByKey(
    entityRef: string,
    actionId: string,
    idempotencyKey: string,
  ): Promise<ActionRun | undefined> {
    const row = await this.knex('vastai_action_runs')
      .where({
        entity_ref: entityRef,
        action_id: actionId,
        idempotency_key: idempotencyKey,
      })
      .first();
    return row ? parse(row.result) : undefined;
  }

  async getRun(runId: string): Promise<ActionRun | undefined> {
    const row = await this.knex('vastai_action_runs')
      .where({ run_id: runId })
      .first();
    return row ? parse(row.result) : undefined;
  }

  /** When the last run of (entity, action) that changed something ended, in epoch ms. */
  async lastFinishedAt(
    entityRef: string,
    actionId: string,
  ): Promise<number | undefined> {
    const row = await this.knex('vastai_action_runs')
      .where({ entity_ref: entityRef, action_id: actionId })
      .whereIn('status', ['succeeded', 'unverified', 'failed'])
      .max({ last: 'finished_at' })
      .first();
    return row?.last === null || row?.last === undefined
      ? undefined
      : Number(row.last);
  }

  // ---- one run at a time per (entity, action), across replicas

  /**
   * Takes the lock row, or returns false when another live run holds it. Insert-or-fail on the
   * primary key: the database, not process memory, decides who wins.
   */
  async acquireLock(
    entityRef: string,
    actionId: string,
    runId: string,
    ttlMs: number,
  ): Promise<boolean> {
    const now = Date.now();
    try {
      await this.knex.transaction(async trx => {
        await trx('vastai_action_locks')
          .where({ entity_ref: entityRef, action_id: actionId })
          .where('expires_at', '<', now)
          .delete();
        await trx('vastai_action_locks').insert({
          entity_ref: entityRef,
          action_id: actionId,
          run_id: runId,
          expires_at: now + ttlMs,
        });
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async releaseLock(
    entityRef: string,
    actionId: string,
    runId: string,
  ): Promise<void> {
    await this.knex('vastai_action_locks')
      .where({ entity_ref: entityRef, action_id: actionId, run_id: runId })
      .delete();
  }

  // ---- what forward actions replaced, for exact reverts

  async recordPrevious(
    entityRef: string,
    envName: string,
    previous: unknown,
    runId: string,
  ): Promise<void> {
    const row = {
      entity_ref: entityRef,
      env_name: envName,
      previous: previous === undefined ? null : JSON.stringify(previous),
      run_id: runId,
      recorded_at: Date.now(),
    };
    await this.knex('vastai_action_previous')
      .insert(row)
      .onConflict(['entity_ref', 'env_name'])
      .merge();
  }

  /** `undefined`: nothing recorded; `{ entry: undefined }`: the variable was absent. */
  async readPrevious(
    entityRef: string,
    envName: string,
  ): Promise<{ entry: unknown } | undefined> {
    const row = await this.knex('vastai_action_previous')
      .where({ entity_ref: entityRef, env_name: envName })
      .first();
    if (!row) return undefined;
    return {
      entry: row.previous === null ? undefined : JSON.parse(row.previous),
    };
  }

  async forgetPrevious(entityRef: string, envName: string): Promise<void> {
    await this.knex('vastai_action_previous')
      .where({ entity_ref: entityRef, env_name: envName })
      .delete();
  }

  // ---- the vendor id of the key in each integration's Secret

  async recordKeyId(integration: string, keyId: number): Promise<void> {
    await this.knex('vastai_action_keys')
      .insert({ integration, key_id: keyId, recorded_at: Date.now() })
      .onConflict('integration')
      .merge();
  }

  async readKeyId(integration: string): Promise<number | undefined> {
    const row = await this.knex('vastai_action_keys')
      .where({ integration })
      .first();
    return row ? Number(row.key_id) : undefined;
  }
}
