import type { ActionId } from '@vastai-incident/backstage-plugin-common';
import type { Knex } from 'knex';
import { DatabaseStore, isUniqueViolation } from '../database/migrations';
import { retryRead, retryTransaction } from '../database/retry';
import type { ActionAuditEntry, ActionRun } from './types';

/**
 * What one audit row holds: the history entry without what the store adds (id, duration), with
 * times in epoch ms. Written once, never updated or deleted.
 */
export type AuditRowInput = Omit<
  ActionAuditEntry,
  'id' | 'startedAt' | 'finishedAt' | 'durationMs'
> & { startedAt: number; finishedAt: number };

/**
 * Called inside the audit row's transaction, so a caller (the incidents module) can write its
 * timeline entry atomically with it.
 */
export type AuditHook = (
  trx: Knex.Transaction,
  row: AuditRowInput,
) => Promise<void>;

const json = (value: unknown) =>
  value === undefined ? null : JSON.stringify(value);
const parse = (text: unknown) =>
  typeof text === 'string' ? JSON.parse(text) : undefined;
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

/**
 * The deployment an action writes to, as integration config names it. Locks, cooldowns and
 * revert records are keyed by it, whichever entity or button asked.
 */
export interface DeploymentTarget {
  cluster: string;
  namespace: string;
  deployment: string;
}

const targetColumns = (target: DeploymentTarget) => ({
  cluster: target.cluster,
  namespace: target.namespace,
  deployment: target.deployment,
});

/** How a run is found again: its Idempotency-Key, a digest of its request, its deployment. */
export interface RunKey {
  idempotencyKey: string;
  requestHash: string;
  target: DeploymentTarget;
}

/** A stored run with what decides whether a replay may see it. */
export interface StoredRun {
  run: ActionRun;
  actor: string;
  requestHash?: string;
}

export type LockAttempt =
  | { acquired: true }
  | { acquired: false; heldBy?: string };

/** The audit columns held as JSON text, named alike in the row and the history entry. */
const AUDIT_JSON_COLUMNS = [
  'diff',
  'previous',
  'verification',
  'steps',
  'cleanup',
] as const;

/** Who runs a run, and until when, unless renewed: the replica's id and an epoch ms. */
export interface RunLease {
  owner: string;
  expiresAt: number;
}

/** A running run whose lease ran out: its replica stopped renewing it. */
export interface ExpiredRun {
  run: ActionRun;
  leaseOwner?: string;
  leaseExpiresAt?: number;
}

/** The actions' tables: audit (append-only), runs, deployment locks, replaced values, key ids. */
export class ActionStore extends DatabaseStore {
  // ---- audit (append only: there is no update or delete method on purpose)

  /**
   * Appends the row (and the hook's writes) in one transaction, tried again after a lost
   * connection; an attempt that may have been saved is recognised by the row's run, outcome,
   * actor and times, and not written twice.
   */
  async appendAudit(row: AuditRowInput, hook?: AuditHook): Promise<void> {
    const identity = {
      run_id: row.runId ?? null,
      actor: row.actor,
      action_id: row.actionId,
      outcome: row.outcome,
      idempotency_key: row.idempotencyKey ?? null,
      started_at: row.startedAt,
      finished_at: row.finishedAt,
    };
    await retryTransaction(this.knex, async (trx, attempt) => {
      if (
        attempt.uncertain &&
        (await trx('vastai_action_audit').where(identity).first('id'))
      ) {
        return;
      }
      await trx('vastai_action_audit').insert({
        run_id: row.runId ?? null,
        actor: row.actor,
        entity_ref: row.entityRef,
        integration: row.integration ?? null,
        action_id: row.actionId,
        dry_run: row.dryRun,
        outcome: row.outcome,
        reason: row.reason ?? null,
        ...Object.fromEntries(
          AUDIT_JSON_COLUMNS.map(column => [column, json(row[column])]),
        ),
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
      ...Object.fromEntries(
        AUDIT_JSON_COLUMNS.map(column => [column, parse(r[column])]),
      ),
      idempotencyKey: r.idempotency_key ?? undefined,
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      durationMs: Number(r.duration_ms),
    }));
  }

  // ---- runs, by idempotency key

  /**
   * Inserts the run; false when a run with the same Idempotency-Key exists (a replay, to be
   * checked against who sent it and what it asked).
   */
  async insertRun(
    run: ActionRun,
    key: RunKey,
    lease?: RunLease,
  ): Promise<boolean> {
    const now = Date.now();
    try {
      await retryTransaction(this.knex, async (trx, attempt) => {
        // Saved by an earlier attempt that lost its connection while committing.
        if (
          attempt.uncertain &&
          (await trx('vastai_action_runs')
            .where({ run_id: run.runId })
            .first('run_id'))
        ) {
          return;
        }
        await trx('vastai_action_runs').insert({
          run_id: run.runId,
          entity_ref: run.entityRef,
          action_id: run.actionId,
          idempotency_key: key.idempotencyKey,
          request_hash: key.requestHash,
          ...targetColumns(key.target),
          actor: run.actor,
          status: run.status,
          result: JSON.stringify(run),
          created_at: now,
          updated_at: now,
          finished_at: null,
          lease_owner: lease?.owner ?? null,
          lease_expires_at: lease?.expiresAt ?? null,
        });
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * Stores the run as it is now. A run another replica ended `interrupted` stays so (false):
   * whatever its old replica still does is recorded in the audit log, not over that ending.
   */
  async saveRun(run: ActionRun): Promise<boolean> {
    // The same values at every attempt: repeating a saved attempt changes nothing.
    const values = {
      status: run.status,
      result: JSON.stringify(run),
      updated_at: Date.now(),
      finished_at: run.finishedAt ? Date.parse(run.finishedAt) : null,
    };
    const changed = await retryTransaction(this.knex, trx =>
      trx('vastai_action_runs')
        .where({ run_id: run.runId })
        .whereNot({ status: 'interrupted' })
        .update(values),
    );
    return changed === 1;
  }

  /**
   * awaiting-approval -> running, once, and only before `notBefore` (epoch ms of the oldest
   * request still approvable): true for the one caller that made the change.
   */
  async claimApproval(
    runId: string,
    lease?: RunLease,
    notBefore?: number,
  ): Promise<boolean> {
    const values = {
      status: 'running',
      updated_at: Date.now(),
      lease_owner: lease?.owner ?? null,
      lease_expires_at: lease?.expiresAt ?? null,
    };
    return retryTransaction(this.knex, async (trx, attempt) => {
      // Claimed by an earlier attempt that lost its connection while committing.
      if (
        attempt.uncertain &&
        (await trx('vastai_action_runs')
          .where({ run_id: runId, ...values })
          .first('run_id'))
      ) {
        return true;
      }
      let query = trx('vastai_action_runs').where({
        run_id: runId,
        status: 'awaiting-approval',
      });
      if (notBefore !== undefined)
        query = query.where('created_at', '>=', notBefore);
      return (await query.update(values)) === 1;
    });
  }

  // ---- leases: a running run is renewed by its replica, or ended by another one

  /**
   * Extends the run's lease and its deployment lock to `expiresAt`, while the run is running
   * and held by `owner`. False: another replica ended it meanwhile (or it ended).
   */
  async renewLease(runId: string, lease: RunLease): Promise<boolean> {
    const changed = await this.knex('vastai_action_runs')
      .where({ run_id: runId, status: 'running', lease_owner: lease.owner })
      .update({ lease_expires_at: lease.expiresAt });
    if (changed !== 1) return false;
    await this.knex('vastai_action_locks')
      .where({ run_id: runId })
      .update({ expires_at: lease.expiresAt });
    return true;
  }

  /** Running runs whose lease ended before `now` (on one deployment, when given). */
  async expiredRuns(
    now: number,
    target?: DeploymentTarget,
    limit = 20,
  ): Promise<ExpiredRun[]> {
    let query = this.knex('vastai_action_runs')
      .where({ status: 'running' })
      .whereNotNull('lease_expires_at')
      .where('lease_expires_at', '<', now);
    if (target) query = query.where(targetColumns(target));
    const rows = await query.orderBy('lease_expires_at').limit(limit);
    return rows.map(r => ({
      run: parse(r.result),
      leaseOwner: r.lease_owner ?? undefined,
      leaseExpiresAt:
        r.lease_expires_at === null ? undefined : Number(r.lease_expires_at),
    }));
  }

  /**
   * Ends a running run whose lease ran out before `now` with the given record (status
   * `interrupted`), and frees its lock; compare-and-set, so of many replicas one does it.
   */
  async interruptRun(run: ActionRun, now: number): Promise<boolean> {
    const result = JSON.stringify(run);
    return retryTransaction(this.knex, async (trx, attempt) => {
      // Ended by an earlier attempt that lost its connection while committing.
      if (
        attempt.uncertain &&
        (await trx('vastai_action_runs')
          .where({ run_id: run.runId, status: 'interrupted', result })
          .first('run_id'))
      ) {
        return true;
      }
      const changed = await trx('vastai_action_runs')
        .where({ run_id: run.runId, status: 'running' })
        .where('lease_expires_at', '<', now)
        .update({
          status: 'interrupted',
          result,
          updated_at: now,
          finished_at: run.finishedAt ? Date.parse(run.finishedAt) : now,
        });
      if (changed !== 1) return false;
      await trx('vastai_action_locks').where({ run_id: run.runId }).delete();
      return true;
    });
  }

  /** Runs awaiting approval since before `olderThan` (epoch ms). */
  async staleApprovals(olderThan: number, limit = 20): Promise<ActionRun[]> {
    const rows = await this.knex('vastai_action_runs')
      .where({ status: 'awaiting-approval' })
      .where('created_at', '<', olderThan)
      .orderBy('created_at')
      .limit(limit);
    return rows.map(r => parse(r.result));
  }

  /** awaiting-approval -> the given ending, once: true for the one caller that made it. */
  async expireApproval(run: ActionRun, olderThan: number): Promise<boolean> {
    const now = Date.now();
    const values = {
      status: run.status,
      result: JSON.stringify(run),
      updated_at: now,
      finished_at: run.finishedAt ? Date.parse(run.finishedAt) : now,
    };
    return retryTransaction(this.knex, async (trx, attempt) => {
      // Ended by an earlier attempt that lost its connection while committing.
      if (
        attempt.uncertain &&
        (await trx('vastai_action_runs')
          .where({ run_id: run.runId, ...values })
          .first('run_id'))
      ) {
        return true;
      }
      const changed = await trx('vastai_action_runs')
        .where({ run_id: run.runId, status: 'awaiting-approval' })
        .where('created_at', '<', olderThan)
        .update(values);
      return changed === 1;
    });
  }

  /** The lease of a run, if it has one (for the replica's own checks and for tests). */
  async leaseOf(runId: string): Promise<RunLease | undefined> {
    const row = await this.knex('vastai_action_runs')
      .where({ run_id: runId })
      .first('lease_owner', 'lease_expires_at');
    if (!row || row.lease_expires_at === null || !row.lease_owner)
      return undefined;
    return { owner: row.lease_owner, expiresAt: Number(row.lease_expires_at) };
  }

  /** The run an Idempotency-Key was first used for, with who sent it and its request digest. */
  async findRunByKey(idempotencyKey: string): Promise<StoredRun | undefined> {
    const row = await retryRead(() =>
      this.knex('vastai_action_runs')
        .where({ idempotency_key: idempotencyKey })
        .first(),
    );
    if (!row) return undefined;
    return {
      run: parse(row.result),
      actor: row.actor,
      requestHash: row.request_hash ?? undefined,
    };
  }

  async getRun(runId: string): Promise<ActionRun | undefined> {
    const row = await retryRead(() =>
      this.knex('vastai_action_runs').where({ run_id: runId }).first(),
    );
    return row ? parse(row.result) : undefined;
  }

  /** When the last run on the deployment that changed something ended, in epoch ms. */
  async lastFinishedAt(target: DeploymentTarget): Promise<number | undefined> {
    return (await this.lastFinished(target))?.at;
  }

  /** The run that ended last on the deployment: when, and which action it was. */
  async lastFinished(
    target: DeploymentTarget,
  ): Promise<{ at: number; actionId: ActionId } | undefined> {
    const row = await this.knex('vastai_action_runs')
      .where(targetColumns(target))
      .whereIn('status', ['succeeded', 'unverified', 'failed'])
      .whereNotNull('finished_at')
      .orderBy('finished_at', 'desc')
      .select('finished_at', 'action_id')
      .first();
    return row
      ? { at: Number(row.finished_at), actionId: row.action_id as ActionId }
      : undefined;
  }

  // ---- one run at a time per deployment, across replicas

  /**
   * Takes the deployment's lock row for the run, or names the run that holds it. Insert-or-fail
   * on the primary key: the database, not process memory, decides who wins.
   */
  async acquireLock(
    target: DeploymentTarget,
    runId: string,
    ttlMs: number,
  ): Promise<LockAttempt> {
    const key = targetColumns(target);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      try {
        await retryTransaction(this.knex, async trx => {
          await trx('vastai_action_locks')
            .where(key)
            .where('expires_at', '<', now)
            .delete();
          await trx('vastai_action_locks').insert({
            ...key,
            run_id: runId,
            expires_at: now + ttlMs,
          });
        });
        return { acquired: true };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const holder = await retryRead(() =>
        this.knex('vastai_action_locks').where(key).first(),
      );
      // Taken by this run's own attempt that lost its connection while committing.
      if (holder?.run_id === runId) return { acquired: true };
      // Released between our insert and this read: try again.
      if (holder) return { acquired: false, heldBy: holder.run_id };
    }
    return { acquired: false };
  }

  /** The run holding the deployment's lock, if any. */
  async lockHolder(target: DeploymentTarget): Promise<string | undefined> {
    const row = await this.knex('vastai_action_locks')
      .where(targetColumns(target))
      .first();
    return row?.run_id;
  }

  /** Releases whatever lock the run holds (a run holds at most one). */
  async releaseLock(runId: string): Promise<void> {
    await retryTransaction(this.knex, trx =>
      trx('vastai_action_locks').where({ run_id: runId }).delete(),
    );
  }

  // ---- what forward actions replaced on a deployment, for exact reverts

  async recordPrevious(
    target: DeploymentTarget,
    envName: string,
    previous: unknown,
    runId: string,
  ): Promise<void> {
    const row = {
      ...targetColumns(target),
      env_name: envName,
      previous: json(previous),
      run_id: runId,
      recorded_at: Date.now(),
    };
    await retryTransaction(this.knex, trx =>
      trx('vastai_action_previous')
        .insert(row)
        .onConflict(['cluster', 'namespace', 'deployment', 'env_name'])
        .merge(),
    );
  }

  /** `undefined`: nothing recorded; `{ entry: undefined }`: the variable was absent. */
  async readPrevious(
    target: DeploymentTarget,
    envName: string,
  ): Promise<{ entry: unknown } | undefined> {
    const row = await this.knex('vastai_action_previous')
      .where({ ...targetColumns(target), env_name: envName })
      .first();
    if (!row) return undefined;
    return {
      entry: row.previous === null ? undefined : JSON.parse(row.previous),
    };
  }

  async forgetPrevious(
    target: DeploymentTarget,
    envName: string,
  ): Promise<void> {
    await retryTransaction(this.knex, trx =>
      trx('vastai_action_previous')
        .where({ ...targetColumns(target), env_name: envName })
        .delete(),
    );
  }

  // ---- the vendor id of the key in each integration's Secret

  async recordKeyId(integration: string, keyId: number): Promise<void> {
    const recordedAt = Date.now();
    await retryTransaction(this.knex, trx =>
      trx('vastai_action_keys')
        .insert({ integration, key_id: keyId, recorded_at: recordedAt })
        .onConflict('integration')
        .merge(),
    );
  }

  async readKeyId(integration: string): Promise<number | undefined> {
    const row = await this.knex('vastai_action_keys')
      .where({ integration })
      .first();
    return row ? Number(row.key_id) : undefined;
  }
}
