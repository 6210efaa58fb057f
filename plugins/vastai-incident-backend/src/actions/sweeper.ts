import type { AuditorService } from '@backstage/backend-plugin-api';
import type { ActionContext } from './context';
import { actionAuditEvent, appendAuditRow, describeSteps } from './runRecord';
import type { DeploymentTarget, ExpiredRun } from './store';
import type { ActionRun } from './types';

/**
 * Ends what no replica will end any more: running runs whose lease ran out (the replica running
 * them crashed or stalled) become `interrupted`, their deployment lock is freed, and the steps
 * that happened and what is left to clean up go into the run, an audit row and (through the
 * audit hook) the open incident's timeline; approvals nobody gave in time expire. Every change is
 * a compare-and-set in the database, so any number of replicas may sweep at once.
 */
export class RunSweeper {
  constructor(
    private readonly ctx: ActionContext,
    private readonly auditor: AuditorService,
  ) {}

  /** One look at every deployment (the periodic sweep); returns how many runs it ended. */
  async sweep(now = Date.now()): Promise<number> {
    let ended = 0;
    for (const expired of await this.ctx.store.expiredRuns(now)) {
      if (await this.interrupt(expired, now)) ended += 1;
    }
    ended += await this.expireApprovals(now);
    return ended;
  }

  /** Ends the runs on one deployment whose lease ran out (before a new run takes its lock). */
  async sweepTarget(target: DeploymentTarget, now = Date.now()) {
    for (const expired of await this.ctx.store.expiredRuns(now, target))
      await this.interrupt(expired, now);
  }

  /** Ends one run if its lease ran out; undefined when it is live or already ended. */
  async sweepRun(runId: string, now = Date.now()): Promise<void> {
    const lease = await this.ctx.store.leaseOf(runId);
    if (!lease || lease.expiresAt >= now) return;
    const run = await this.ctx.store.getRun(runId);
    if (run?.status !== 'running') return;
    await this.interrupt(
      { run, leaseOwner: lease.owner, leaseExpiresAt: lease.expiresAt },
      now,
    );
  }

  private async interrupt(expired: ExpiredRun, now: number): Promise<boolean> {
    const { store, logger } = this.ctx;
    const run: ActionRun = { ...expired.run };
    const cleanup = await this.cleanUp(run);
    run.status = 'interrupted';
    run.phase = 'done';
    run.code = 'lease-expired';
    run.cleanup = cleanup.length > 0 ? cleanup : undefined;
    run.finishedAt = new Date(now).toISOString();
    const since = expired.leaseExpiresAt
      ? ` (its lease ran out at ${new Date(
          expired.leaseExpiresAt,
        ).toISOString()})`
      : '';
    run.reason = this.ctx
      .redactor()(
        `interrupted: the backend replica running it stopped${since}. Steps done: ${describeSteps(
          run,
        )}.${
          cleanup.length > 0 ? ` Left to clean up: ${cleanup.join('; ')}.` : ''
        }`,
      )
      .slice(0, 1000);
    if (!(await store.interruptRun(run, now))) return false;
    await appendAuditRow(this.ctx, run, 'interrupted', {
      reason: run.reason,
      startedAt: Date.parse(run.startedAt),
      finishedAt: now,
    });
    const event = await actionAuditEvent(this.auditor, {
      actionId: run.actionId,
      entityRef: run.entityRef,
      dryRun: false,
      actor: run.actor,
      runId: run.runId,
    });
    await event.fail({
      error: new Error(run.reason),
      meta: { status: 'interrupted', code: run.code },
    });
    logger.warn(
      `${run.actionId} on ${run.entityRef} (run ${run.runId}) interrupted: ${run.reason}`,
    );
    return true;
  }

  /**
   * What an interrupted run left behind. A key rotation that created a key and never put it in
   * the Secret (the Secret holds another key, and no step says it was written) leaves a key no
   * pod can have read: it is deleted. Any other new key may be in use and is listed, by id.
   * The key the Secret held before is never deleted here: only a verified rotation does that.
   */
  private async cleanUp(run: ActionRun): Promise<string[]> {
    const steps = new Set((run.steps ?? []).map(s => s.step));
    const out: string[] = [];
    if (run.actionId !== 'rotate-api-key') {
      if (steps.has('patch-written'))
        out.push(
          'the change was written but never verified: check the deployment, revert it if it did not help',
        );
      return out;
    }
    if (steps.has('old-key-cleanup')) return out;
    const keyId = run.newKeyId;
    if (keyId === undefined) return out;
    const created = steps.has('new-key-created');
    const gone = steps.has('new-key-deleted');
    if (gone) return out;
    const listed = `the new key (id ${keyId})`;
    const deleteNote = `${listed} was not put in use: delete it at Vast.ai`;
    const inUseNote = `${listed} may be in use by the service; the key the Secret held before was not deleted: once the service is healthy, delete the key it no longer uses at Vast.ai (or run the rotation again)`;
    if (!created || steps.has('secret-written')) {
      out.push(inUseNote);
      return out;
    }
    try {
      const inSecret = await this.keyIdInSecret(run);
      if (inSecret === keyId) {
        // Written, but this replica died before it could say so: in use.
        out.push(inUseNote);
        return out;
      }
      const vendor = this.ctx.vendorKeys!;
      const deleted = await vendor.deleteKey(keyId);
      out.push(
        deleted
          ? `${listed}, never put in the Secret, was deleted at Vast.ai by the replica that ended the run`
          : `${listed} was already gone at Vast.ai`,
      );
    } catch (error) {
      out.push(
        `${deleteNote} (it could not be checked or deleted now: ${this.ctx
          .redactor()((error as Error).message)
          .slice(0, 200)})`,
      );
    }
    return out;
  }

  /** The vendor id of the key the integration's Secret holds now (asked with the key itself). */
  private async keyIdInSecret(run: ActionRun): Promise<number | undefined> {
    const integration = this.ctx.config.integrations.get(run.integration);
    const target = integration?.kubernetes;
    if (!integration || !target?.secretName || !this.ctx.vendorKeys)
      throw new Error(
        'the integration, its Secret or the vendor is not configured',
      );
    const kube = this.ctx.kubernetes(integration);
    const secret = await kube.readSecret(target.namespace, target.secretName);
    const value = secret.data[target.secretKey ?? 'api-key'];
    if (!value) return undefined;
    return this.ctx.vendorKeys.idOfKey(value);
  }

  /**
   * The one rule of approval expiry: a run asked for before this instant that is still awaiting
   * its second approval has expired (and can no longer be approved).
   */
  approvalCutoff(now = Date.now()): number {
    return now - this.ctx.settings.approvalTimeoutMs;
  }

  private async expireApprovals(now: number): Promise<number> {
    let ended = 0;
    for (const pending of await this.ctx.store.staleApprovals(
      this.approvalCutoff(now),
    )) {
      if (await this.expireApproval(pending, now)) ended += 1;
    }
    return ended;
  }

  /** Ends a run that waited too long for its second approval; nothing was changed. */
  async expireApproval(pending: ActionRun, now = Date.now()): Promise<boolean> {
    const { settings, store } = this.ctx;
    const minutes = Math.round(settings.approvalTimeoutMs / 60_000);
    const run: ActionRun = {
      ...pending,
      status: 'rejected',
      phase: 'done',
      code: 'approval-expired',
      reason: `No second person approved the key rotation within ${minutes} min; nothing was changed. Ask again if it is still needed.`,
      finishedAt: new Date(now).toISOString(),
    };
    if (!(await store.expireApproval(run, this.approvalCutoff(now))))
      return false;
    await appendAuditRow(this.ctx, run, 'rejected', {
      reason: run.reason,
      startedAt: Date.parse(run.startedAt),
      finishedAt: now,
    });
    return true;
  }
}
