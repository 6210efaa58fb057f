import type {
  AuditorService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { randomUUID } from 'node:crypto';
import {
  ActionId,
  vastaiRemediationExecutePermission,
  vastaiSecretRotatePermission,
} from '@vastai-incident/backstage-plugin-common';
import type { Request } from 'express';
import type { IntegrationConfig } from '../config';
import {
  ActionAttempt,
  ActionContext,
  ActionContextOptions,
  ActionFailure,
  ActionHandler,
  ActionRefusal,
  createActionContext,
  describeTarget,
  RunActionRequest,
  targetOf,
} from './context';
import { deploymentActions, forwardActionOf } from './deploymentActions';
import { replayOf, requestDigest } from './idempotency';
import { keyRotation } from './keyRotation';
import {
  actionAuditEvent,
  appendAuditRow,
  AuditSubject,
  finishRun,
  newRun,
  rejectRun,
  userOf,
} from './runRecord';
import type { DeploymentTarget, RunLease } from './store';
import { RunSweeper } from './sweeper';
import type { ActionRun } from './types';

export type { ActionAttempt, RunActionRequest } from './context';

export interface ActionsServiceOptions extends ActionContextOptions {
  auditor: AuditorService;
  permissions: PermissionsService;
}

export interface RunActionResult {
  /**
   * 200 done/dry run, 202 still verifying, 409 rejected (deployment busy, cooldown, not fit for
   * the action) or a conflict (the Secret or the deployment changed meanwhile).
   */
  httpStatus: number;
  run: ActionRun;
}

export function httpStatusOf(run: ActionRun): number {
  if (run.status === 'rejected') return 409;
  if (run.status === 'failed' && run.code === 'conflict') return 409;
  if (run.status === 'interrupted') return 200;
  if (run.status === 'running' || run.status === 'awaiting-approval')
    return 202;
  return 200;
}

/** Key rotation has its own steps; every other action is one patch of the deployment. */
function handlerOf(actionId: ActionId): ActionHandler {
  return actionId === 'rotate-api-key' ? keyRotation : deploymentActions;
}

/**
 * Remediations: authorize on the entity -> server-side dry run -> apply -> verify -> record.
 * Each run is keyed by its Idempotency-Key (one user, one request), and one run per deployment
 * holds a lock row in the database, whichever entity or action asked, so two backend replicas,
 * two entities or two opposing buttons never act on it at once. What an action changes lives in
 * `deploymentActions.ts` and `keyRotation.ts`; how a run is recorded, in `runRecord.ts`.
 */
export class ActionsService {
  private readonly ctx: ActionContext;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly sweeper: RunSweeper;
  /** This replica, as run leases name it: one id per process start. */
  private readonly replicaId = randomUUID();

  constructor(private readonly options: ActionsServiceOptions) {
    this.ctx = createActionContext(options);
    this.sweeper = new RunSweeper(this.ctx, options.auditor);
  }

  /**
   * Ends runs whose replica stopped renewing their lease (`interrupted`) and approvals nobody
   * gave in time. The plugin calls it every `sweepIntervalSeconds` on every replica.
   */
  async sweep(): Promise<number> {
    return this.sweeper.sweep();
  }

  private lease(): RunLease {
    return {
      owner: this.replicaId,
      expiresAt: Date.now() + this.ctx.settings.runLeaseMs,
    };
  }

  /**
   * Renews the run's lease (and its deployment lock) every few seconds while this replica works
   * on it. If another replica ended it meanwhile, renewing stops and says so in the log.
   */
  private heartbeat(run: ActionRun): () => void {
    const { store, logger, settings } = this.ctx;
    let stopped = false;
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(async () => {
        if (stopped) return;
        try {
          if (!(await store.renewLease(run.runId, this.lease()))) {
            stopped = true;
            clearInterval(timer);
            logger.warn(
              `run ${run.runId} (${run.actionId} on ${run.entityRef}) was ended by another replica while this one ran it`,
            );
          }
        } catch (error) {
          // The next beat tries again; the lease outlives a few missed beats.
          logger.warn(
            `could not renew the lease of run ${run.runId}: ${
              (error as Error).message
            }`,
          );
        }
      });
    }, settings.heartbeatMs);
    timer.unref?.();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  integration(name: string): IntegrationConfig | undefined {
    return this.ctx.config.integrations.get(name);
  }

  /** Resolves when every background verification has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0)
      await Promise.allSettled([...this.inflight.values()]);
  }

  history(entityRef: string, limit?: number) {
    return this.ctx.store.listAudit(entityRef, limit);
  }

  /** A run of the entity; a running one whose replica died is ended `interrupted` first. */
  async getRun(
    entityRef: string,
    runId: string,
  ): Promise<ActionRun | undefined> {
    let run = await this.ctx.store.getRun(runId);
    if (run?.status === 'running' && !this.inflight.has(runId)) {
      await this.sweeper.sweepRun(runId);
      run = await this.ctx.store.getRun(runId);
    }
    return run && run.entityRef === entityRef ? run : undefined;
  }

  /** Authorizes; on deny writes the audit row and the failed auditor event, then throws 403. */
  async authorize(request: ActionAttempt): Promise<void> {
    const rotation = request.actionId === 'rotate-api-key';
    const permission = rotation
      ? vastaiSecretRotatePermission
      : vastaiRemediationExecutePermission;
    const [decision] = await this.options.permissions.authorize(
      [{ permission, resourceRef: request.entityRef }],
      { credentials: request.credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return;
    throw await this.refuse(
      request,
      'denied',
      new NotAllowedError(
        `Not allowed to run ${request.actionId} on ${request.entityRef} (needs ${permission.name})`,
      ),
    );
  }

  /** A request refused before it had a run: its audit row and failed auditor event. */
  private async refuse(
    request: ActionAttempt,
    outcome: string,
    error: Error,
  ): Promise<Error> {
    const startedAt = Date.now();
    const event = await this.event(request);
    const subject: AuditSubject = {
      actor: userOf(request.credentials),
      entityRef: request.entityRef,
      actionId: request.actionId,
      dryRun: request.dryRun,
      idempotencyKey: request.idempotencyKey,
    };
    await appendAuditRow(this.ctx, subject, outcome, {
      reason: error.message,
      startedAt,
    });
    await event.fail({ error });
    return error;
  }

  /** The auditor event of an attempt, and of its run once it has one. */
  private event(
    attempt: ActionAttempt,
    run?: Pick<ActionRun, 'runId' | 'approvedBy'>,
  ) {
    return actionAuditEvent(this.options.auditor, {
      actionId: attempt.actionId,
      entityRef: attempt.entityRef,
      dryRun: attempt.dryRun,
      actor: userOf(attempt.credentials),
      runId: run?.runId,
      approvedBy: run?.approvedBy,
      request: attempt.request,
    });
  }

  /**
   * Runs an action for an already authorized user: a dry run answers at once; an apply answers
   * once the change is written (202 while it rolls out and is verified in the background).
   */
  async run(req: RunActionRequest): Promise<RunActionResult> {
    const { settings, store } = this.ctx;
    const target = req.integration.kubernetes;
    if (!target) {
      throw new InputError(
        `Integration "${req.integration.name}" has no Kubernetes deployment configured`,
      );
    }
    if (req.actionId === 'rotate-api-key' && !target.secretName) {
      throw new InputError(
        `Integration "${req.integration.name}" has no Secret configured for its API key`,
      );
    }
    if (req.newApiKey !== undefined && req.actionId !== 'rotate-api-key') {
      throw new InputError('newApiKey is only accepted by rotate-api-key');
    }
    if (
      req.newApiKey !== undefined &&
      !req.dryRun &&
      settings.requireSecondApprovalForKeyRotation
    ) {
      // A pasted key is never stored, so it cannot wait for an approval: the approver pastes it.
      throw new InputError(
        'Key rotation needs a second approval here: paste the key when approving',
      );
    }
    if (!req.dryRun && !settings.enabled) {
      throw await this.refuse(
        req,
        'rejected',
        new NotAllowedError(
          'Remediation actions are disabled by configuration (vastaiIncident.actionsEnabled); dry runs only',
        ),
      );
    }
    if (!req.dryRun && !req.idempotencyKey) {
      throw new InputError(
        'An Idempotency-Key header is required to apply an action',
      );
    }
    if (req.dryRun) return { httpStatus: 200, run: await this.dryRun(req) };

    const startedAt = Date.now();
    const run = newRun(req, startedAt, false);
    const key = {
      idempotencyKey: req.idempotencyKey!,
      requestHash: requestDigest(run.runId, req),
      target: targetOf(req.integration),
    };
    const awaitsApproval =
      req.actionId === 'rotate-api-key' &&
      settings.requireSecondApprovalForKeyRotation;
    if (
      !(await store.insertRun(
        run,
        key,
        awaitsApproval ? undefined : this.lease(),
      ))
    ) {
      // A replay: the stored result, whatever state it is in; nothing is done again. Only its
      // sender gets it, for the same request; anyone else is refused and the refusal audited.
      const stored = await store.findRunByKey(key.idempotencyKey);
      if (!stored) throw new Error('idempotency record vanished');
      let replay: ActionRun;
      try {
        replay = replayOf(stored, req);
      } catch (error) {
        throw await this.refuse(req, 'rejected', error as Error);
      }
      return { httpStatus: httpStatusOf(replay), run: replay };
    }

    if (awaitsApproval) {
      // Nothing happens until a different user with the same permission approves (approve()).
      run.status = 'awaiting-approval';
      run.reason =
        'Key rotation needs the approval of a second person with the same permission';
      await store.saveRun(run);
      await appendAuditRow(this.ctx, run, 'awaiting-approval', {
        reason: run.reason,
        startedAt,
      });
      // Not done now: the auditor hears of it as a refusal too, the approval is a new event.
      const event = await this.event(req, run);
      await event.fail({
        error: new Error(run.reason),
        meta: { status: 'awaiting-approval' },
      });
      return { httpStatus: 202, run };
    }
    return this.execute(req, run, startedAt);
  }

  /**
   * The second person's approval of a key rotation: a different user, authorized on the entity
   * with the same permission. Only then is anything created, written or restarted.
   */
  async approve(req: {
    credentials: BackstageCredentials;
    entityRef: string;
    integration: IntegrationConfig;
    runId: string;
    newApiKey?: string;
    request?: Request;
  }): Promise<RunActionResult> {
    const { store } = this.ctx;
    let pending = await this.getRun(req.entityRef, req.runId);
    if (
      pending?.status === 'awaiting-approval' &&
      Date.parse(pending.startedAt) < this.sweeper.approvalCutoff()
    ) {
      // Expired, whether or not a sweep has seen it yet.
      await this.sweeper.expireApproval(pending);
      pending = await this.getRun(req.entityRef, req.runId);
    }
    if (!pending)
      throw new NotFoundError(`No run ${req.runId} on ${req.entityRef}`);
    if (pending.status !== 'awaiting-approval') {
      throw new ConflictError(
        `Run ${req.runId} is ${pending.status}, not awaiting approval`,
      );
    }
    const approver = userOf(req.credentials);
    const attempt = {
      credentials: req.credentials,
      entityRef: req.entityRef,
      actionId: pending.actionId,
      dryRun: false,
      idempotencyKey: pending.idempotencyKey,
      request: req.request,
    };
    await this.authorize(attempt);
    if (approver === pending.actor) {
      throw await this.refuse(
        attempt,
        'denied',
        new NotAllowedError(
          'A key rotation must be approved by a different person than the one who asked for it',
        ),
      );
    }
    // Compare-and-set in the database: of two approvers at once, one wins.
    if (
      !(await store.claimApproval(
        req.runId,
        this.lease(),
        this.sweeper.approvalCutoff(),
      ))
    ) {
      throw new ConflictError(
        `Run ${req.runId} was approved or ended meanwhile`,
      );
    }
    const run: ActionRun = {
      ...pending,
      status: 'running',
      approvedBy: approver,
      reason: undefined,
    };
    await store.saveRun(run);
    return this.execute(
      {
        credentials: req.credentials,
        entityRef: req.entityRef,
        integration: req.integration,
        actionId: pending.actionId,
        dryRun: false,
        idempotencyKey: pending.idempotencyKey,
        newApiKey: req.newApiKey,
        request: req.request,
      },
      run,
      Date.now(),
    );
  }

  /** Lock, cooldown, apply; verification continues in the background. */
  private async execute(
    req: RunActionRequest,
    run: ActionRun,
    startedAt: number,
  ): Promise<RunActionResult> {
    const { settings, store } = this.ctx;
    const event = await this.event(req, run);
    const target = targetOf(req.integration);
    // The lock lives as long as the run's lease and is renewed with it; a run whose replica
    // died is ended first, so its lock is freed with a record of what it did.
    const stopHeartbeat = this.heartbeat(run);
    await this.sweeper.sweepTarget(target);
    const lock = await store.acquireLock(
      target,
      run.runId,
      settings.runLeaseMs,
    );
    if (!lock.acquired) {
      stopHeartbeat();
      await rejectRun(
        this.ctx,
        run,
        event,
        'busy',
        await this.busyReason(target, lock.heldBy),
      );
      return { httpStatus: 409, run };
    }
    let handedOff = false;
    try {
      // A revert of the action that just ended is exempt: undoing a change that made things
      // worse must never wait for the cooldown that guards against flapping.
      const last = await store.lastFinished(target);
      const undoesLast =
        last !== undefined && forwardActionOf(req.actionId) === last.actionId;
      if (
        last !== undefined &&
        !undoesLast &&
        Date.now() - last.at < settings.cooldownMs
      ) {
        const wait = Math.ceil(
          (settings.cooldownMs - (Date.now() - last.at)) / 1000,
        );
        await rejectRun(
          this.ctx,
          run,
          event,
          'cooldown',
          `An action ended on ${describeTarget(
            target,
          )} moments ago; try again in ${wait} s`,
        );
        return { httpStatus: 409, run };
      }
      const work = await handlerOf(req.actionId).apply(this.ctx, req, run);
      if (!work) {
        await finishRun(this.ctx, run, event, startedAt);
        return { httpStatus: httpStatusOf(run), run };
      }
      run.phase = 'rolling-out';
      await store.saveRun(run);
      handedOff = true;
      const background = (async () => {
        try {
          await work();
        } catch (error) {
          run.status = 'failed';
          run.reason = this.scrub(
            req,
            `verification stopped: ${(error as Error).message}`,
          );
        }
        await finishRun(this.ctx, run, event, startedAt);
      })()
        .catch(error => {
          // Never an unhandled rejection: the lease runs out and another replica (or this
          // one's sweep) ends the run `interrupted` with what is known.
          this.ctx.logger.error(
            `run ${run.runId} (${run.actionId} on ${
              run.entityRef
            }) could not be recorded as ended: ${this.scrub(
              req,
              (error as Error).message,
            )}`,
          );
        })
        .finally(() => {
          stopHeartbeat();
          this.inflight.delete(run.runId);
        });
      this.inflight.set(run.runId, background);
      return { httpStatus: 202, run: { ...run } };
    } catch (error) {
      const reason = this.scrub(req, (error as Error).message);
      if (error instanceof ActionRefusal) {
        await rejectRun(this.ctx, run, event, error.code, reason);
        return { httpStatus: 409, run };
      }
      run.status = 'failed';
      run.code = error instanceof ActionFailure ? error.code : 'error';
      run.reason = reason;
      await finishRun(this.ctx, run, event, startedAt);
      return { httpStatus: httpStatusOf(run), run };
    } finally {
      if (!handedOff) {
        stopHeartbeat();
        await store.releaseLock(run.runId);
      }
    }
  }

  /** Why a run is refused while another holds the deployment: that run, named. */
  private async busyReason(
    target: DeploymentTarget,
    heldBy: string | undefined,
  ): Promise<string> {
    const holder = heldBy ? await this.ctx.store.getRun(heldBy) : undefined;
    const which = heldBy
      ? `run ${heldBy}${holder ? ` (${holder.actionId})` : ''}`
      : 'another run';
    return `Another action is already running on ${describeTarget(
      target,
    )}: ${which}; try again once it has finished`;
  }

  /** A reason fit for the record: no known or likely secret, at most 500 characters. */
  private scrub(req: RunActionRequest, text: string): string {
    return this.ctx.redactor(req.newApiKey)(text).slice(0, 500);
  }

  /** The API server validates the change without persisting it; the run shows the diff. */
  private async dryRun(req: RunActionRequest): Promise<ActionRun> {
    const startedAt = Date.now();
    const target = req.integration.kubernetes!;
    const kube = this.ctx.kubernetes(req.integration);
    const run = newRun(req, startedAt, true);
    const event = await this.event(req);
    try {
      const deployment = await kube.readDeployment(
        target.namespace,
        target.deployment,
      );
      await handlerOf(req.actionId).dryRun(
        this.ctx,
        req,
        kube,
        deployment,
        run,
      );
    } catch (error) {
      const reason = this.scrub(req, (error as Error).message);
      await appendAuditRow(this.ctx, run, 'failed', { reason, startedAt });
      await event.fail({ error: new Error(reason) });
      if (error instanceof InputError) throw error;
      run.status = 'failed';
      run.reason = reason;
      run.code = error instanceof ActionFailure ? error.code : 'error';
      run.phase = 'done';
      return run;
    }
    run.finishedAt = new Date().toISOString();
    await appendAuditRow(this.ctx, run, 'dry-run', {
      reason: run.reason,
      startedAt,
    });
    await event.success({ meta: { status: 'dry-run' } });
    return run;
  }
}
