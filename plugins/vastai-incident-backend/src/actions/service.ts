import { randomUUID } from 'node:crypto';
import type {
  AuditorService,
  AuditorServiceEvent,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ActionId,
  vastaiRemediationExecutePermission,
  vastaiSecretRotatePermission,
} from '@internal/plugin-vastai-incident-common';
import type { Request } from 'express';
import type {
  ClusterConfig,
  IntegrationConfig,
  VastaiIncidentConfig,
} from '../config';
import { createRedactor } from '../redact';
import { HttpClient, nodeHttpClient } from '../upstream';
import { deploymentDiff, describeEnv, MASK } from './diff';
import {
  createKubernetesWriter,
  KubernetesApiError,
  KubernetesWriter,
} from './kubernetesWriter';
import {
  DeploymentLike,
  EnvChange,
  envEntry,
  EnvVar,
  restartPatch,
  RESTARTED_AT_ANNOTATION,
  setEnvPatch,
} from './patches';
import type { ActionSettings } from './settings';
import type { AuditHook, ActionStore } from './store';
import type { ActionDiffLine, ActionRun, ActionVerification } from './types';
import { SignalReader, verifyAction } from './verify';
import { createVendorKeyClient, VendorKeyClient } from './vendorKeys';

/** The env switches of the runbook: forward actions and the reverts that restore them. */
const ENV_ACTIONS: Partial<
  Record<
    ActionId,
    {
      variable: string;
      value: string;
      revertOf?: ActionId;
      defaultRevert?: string;
    }
  >
> = {
  'enable-fallback': { variable: 'VASTAI_FALLBACK', value: 'true' },
  'disable-fallback': {
    variable: 'VASTAI_FALLBACK',
    value: 'false',
    revertOf: 'enable-fallback',
  },
  'queue-mode': { variable: 'RATE_LIMIT_MODE', value: 'queue' },
  'direct-mode': {
    variable: 'RATE_LIMIT_MODE',
    value: 'direct',
    revertOf: 'queue-mode',
  },
};

export interface ActionsServiceOptions {
  config: VastaiIncidentConfig;
  settings: ActionSettings;
  store: ActionStore;
  logger: LoggerService;
  auditor: AuditorService;
  permissions: PermissionsService;
  /** Where verification reads the triggering signal (the plugin's SignalService). */
  signals?: SignalReader;
  clients?: {
    http?: HttpClient;
    kubernetes?: (cluster: ClusterConfig) => KubernetesWriter;
    vendorKeys?: VendorKeyClient;
  };
  /** Runs inside each audit row's transaction (the incident timeline entry, S20). */
  onAudit?: AuditHook;
}

export interface RunActionRequest {
  credentials: BackstageCredentials;
  entityRef: string;
  integration: IntegrationConfig;
  actionId: ActionId;
  dryRun: boolean;
  idempotencyKey?: string;
  /** A key pasted by the user for `rotate-api-key`: write-only, never echoed or stored. */
  newApiKey?: string;
  /** The HTTP request, for the auditor event. */
  request?: Request;
}

export interface RunActionResult {
  /** 200 done/dry run, 202 still verifying, 409 rejected (busy, cooldown) or a Secret conflict. */
  httpStatus: number;
  run: ActionRun;
}

/** A failure of the apply step with a machine-readable code (`conflict` for S14). */
class ActionFailure extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

export function httpStatusOf(run: ActionRun): number {
  if (run.status === 'rejected') return 409;
  if (run.status === 'failed' && run.code === 'conflict') return 409;
  if (run.status === 'running' || run.status === 'awaiting-approval')
    return 202;
  return 200;
}

function userOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
  };
  return principal?.type === 'user' && principal.userEntityRef
    ? principal.userEntityRef
    : 'unknown';
}

/**
 * Remediations: authorize on the entity -> server-side dry run -> apply -> verify -> record.
 * Each run is keyed by its Idempotency-Key, and one run per (entity, action) holds a lock row in
 * the database, so two backend replicas never act twice.
 */
export class ActionsService {
  private readonly writers = new Map<string, KubernetesWriter>();
  private readonly http: HttpClient;
  private readonly vendorKeys?: VendorKeyClient;
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(private readonly options: ActionsServiceOptions) {
    const { config } = options;
    this.http = options.clients?.http ?? nodeHttpClient;
    this.vendorKeys =
      options.clients?.vendorKeys ??
      (config.vendor.apiBaseUrl && config.vendor.operatorApiKey
        ? createVendorKeyClient({
            baseUrl: config.vendor.apiBaseUrl,
            operatorApiKey: config.vendor.operatorApiKey,
            http: this.http,
            timeoutMs: config.upstreamTimeoutMs,
            maxBytes: config.maxResponseBytes,
          })
        : undefined);
  }

  integration(name: string): IntegrationConfig | undefined {
    return this.options.config.integrations.get(name);
  }

  /** Resolves when every background verification has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0)
      await Promise.allSettled([...this.inflight.values()]);
  }

  history(entityRef: string, limit?: number) {
    return this.options.store.listAudit(entityRef, limit);
  }

  async getRun(
    entityRef: string,
    runId: string,
  ): Promise<ActionRun | undefined> {
    const run = await this.options.store.getRun(runId);
    return run && run.entityRef === entityRef ? run : undefined;
  }

  private writer(integration: IntegrationConfig): KubernetesWriter {
    const target = integration.kubernetes;
    if (!target) {
      throw new InputError(
        `Integration "${integration.name}" has no Kubernetes deployment configured`,
      );
    }
    let writer = this.writers.get(target.cluster);
    if (!writer) {
      const cluster = this.options.config.clusters.get(target.cluster);
      if (!cluster)
        throw new InputError(`Cluster "${target.cluster}" is not configured`);
      writer =
        this.options.clients?.kubernetes?.(cluster) ??
        createKubernetesWriter(cluster, {
          http: this.http,
          timeoutMs: this.options.config.upstreamTimeoutMs,
          maxBytes: this.options.config.maxResponseBytes,
        });
      this.writers.set(target.cluster, writer);
    }
    return writer;
  }

  /** Authorizes; on deny writes the audit row and the failed auditor event, then throws 403. */
  async authorize(request: {
    credentials: BackstageCredentials;
    entityRef: string;
    actionId: ActionId;
    dryRun: boolean;
    idempotencyKey?: string;
    request?: Request;
  }): Promise<void> {
    const rotation = request.actionId === 'rotate-api-key';
    const permission = rotation
      ? vastaiSecretRotatePermission
      : vastaiRemediationExecutePermission;
    const [decision] = await this.options.permissions.authorize(
      [{ permission, resourceRef: request.entityRef }],
      { credentials: request.credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return;
    const startedAt = Date.now();
    const error = new NotAllowedError(
      `Not allowed to run ${request.actionId} on ${request.entityRef} (needs ${permission.name})`,
    );
    const event = await this.event(request.actionId, request.request, {
      entityRef: request.entityRef,
      actionId: request.actionId,
      dryRun: request.dryRun,
    });
    await this.options.store.appendAudit(
      {
        actor: userOf(request.credentials),
        entityRef: request.entityRef,
        actionId: request.actionId,
        dryRun: request.dryRun,
        outcome: 'denied',
        reason: error.message,
        idempotencyKey: request.idempotencyKey,
        startedAt,
        finishedAt: Date.now(),
      },
      this.options.onAudit,
    );
    await event.fail({ error });
    throw error;
  }

  private event(
    actionId: ActionId,
    request: Request | undefined,
    meta: Record<string, any>,
  ) {
    return this.options.auditor.createEvent({
      eventId: actionId,
      severityLevel: actionId === 'rotate-api-key' ? 'high' : 'medium',
      request,
      meta,
    });
  }

  /**
   * Runs an action for an already authorized user: a dry run answers at once; an apply answers
   * once the change is written (202 while it rolls out and is verified in the background).
   */
  async run(req: RunActionRequest): Promise<RunActionResult> {
    const { settings, store } = this.options;
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
      throw new NotAllowedError(
        'Remediation actions are disabled by configuration (vastaiIncident.actionsEnabled); dry runs only',
      );
    }
    if (!req.dryRun && !req.idempotencyKey) {
      throw new InputError(
        'An Idempotency-Key header is required to apply an action',
      );
    }
    if (req.dryRun) return { httpStatus: 200, run: await this.dryRun(req) };

    const startedAt = Date.now();
    const run: ActionRun = {
      runId: randomUUID(),
      entityRef: req.entityRef,
      integration: req.integration.name,
      actionId: req.actionId,
      dryRun: false,
      actor: userOf(req.credentials),
      status: 'running',
      phase: 'authorized',
      diff: [],
      idempotencyKey: req.idempotencyKey,
      startedAt: new Date(startedAt).toISOString(),
    };
    if (!(await store.insertRun(run, req.idempotencyKey!))) {
      // A replay: the stored result, whatever state it is in; nothing is done again.
      const stored = await store.findRunByKey(
        req.entityRef,
        req.actionId,
        req.idempotencyKey!,
      );
      if (stored) return { httpStatus: httpStatusOf(stored), run: stored };
      throw new Error('idempotency record vanished');
    }

    if (
      req.actionId === 'rotate-api-key' &&
      settings.requireSecondApprovalForKeyRotation
    ) {
      // Nothing happens until a different user with the same permission approves (approve()).
      run.status = 'awaiting-approval';
      run.reason =
        'Key rotation needs the approval of a second person with the same permission';
      await store.saveRun(run);
      await store.appendAudit(
        {
          runId: run.runId,
          actor: run.actor,
          entityRef: run.entityRef,
          integration: run.integration,
          actionId: run.actionId,
          dryRun: false,
          outcome: 'awaiting-approval',
          reason: run.reason,
          idempotencyKey: run.idempotencyKey,
          startedAt,
          finishedAt: Date.now(),
        },
        this.options.onAudit,
      );
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
    const { store } = this.options;
    const pending = await this.getRun(req.entityRef, req.runId);
    if (!pending)
      throw new NotFoundError(`No run ${req.runId} on ${req.entityRef}`);
    if (pending.status !== 'awaiting-approval') {
      throw new ConflictError(
        `Run ${req.runId} is ${pending.status}, not awaiting approval`,
      );
    }
    const approver = userOf(req.credentials);
    await this.authorize({
      credentials: req.credentials,
      entityRef: req.entityRef,
      actionId: pending.actionId,
      dryRun: false,
      idempotencyKey: pending.idempotencyKey,
      request: req.request,
    });
    if (approver === pending.actor) {
      throw new NotAllowedError(
        'A key rotation must be approved by a different person than the one who asked for it',
      );
    }
    // Compare-and-set in the database: of two approvers at once, one wins.
    if (!(await store.claimApproval(req.runId))) {
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
    const { settings, store } = this.options;
    const event = await this.event(req.actionId, req.request, {
      entityRef: req.entityRef,
      actionId: req.actionId,
      dryRun: false,
      runId: run.runId,
      ...(run.approvedBy ? { approvedBy: run.approvedBy } : {}),
    });
    const lockTtlMs = settings.verifyTimeoutMs * 3 + 60_000;
    if (
      !(await store.acquireLock(
        req.entityRef,
        req.actionId,
        run.runId,
        lockTtlMs,
      ))
    ) {
      return this.reject(
        run,
        event,
        'busy',
        `Another ${req.actionId} run on this entity is in progress`,
      );
    }
    let handedOff = false;
    try {
      const last = await store.lastFinishedAt(req.entityRef, req.actionId);
      if (last !== undefined && Date.now() - last < settings.cooldownMs) {
        const wait = Math.ceil(
          (settings.cooldownMs - (Date.now() - last)) / 1000,
        );
        return await this.reject(
          run,
          event,
          'cooldown',
          `${req.actionId} ran on this entity moments ago; try again in ${wait} s`,
        );
      }
      const work =
        req.actionId === 'rotate-api-key'
          ? await this.applyRotation(req, run)
          : await this.applyDeploymentAction(req, run);
      if (!work) {
        await this.finish(run, event, startedAt);
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
        await this.finish(run, event, startedAt);
      })().finally(() => this.inflight.delete(run.runId));
      this.inflight.set(run.runId, background);
      return { httpStatus: 202, run: { ...run } };
    } catch (error) {
      run.status = 'failed';
      run.code = error instanceof ActionFailure ? error.code : 'error';
      run.reason = this.scrub(req, (error as Error).message);
      await this.finish(run, event, startedAt);
      return { httpStatus: httpStatusOf(run), run };
    } finally {
      if (!handedOff)
        await store.releaseLock(req.entityRef, req.actionId, run.runId);
    }
  }

  private scrub(req: RunActionRequest, text: string): string {
    return createRedactor([
      this.options.config.vendor.operatorApiKey,
      req.newApiKey,
    ])(text).slice(0, 500);
  }

  private async reject(
    run: ActionRun,
    event: AuditorServiceEvent,
    code: string,
    reason: string,
  ) {
    run.status = 'rejected';
    run.phase = 'done';
    run.code = code;
    run.reason = reason;
    run.finishedAt = new Date().toISOString();
    await this.options.store.saveRun(run);
    await this.options.store.appendAudit(
      {
        runId: run.runId,
        actor: run.actor,
        entityRef: run.entityRef,
        integration: run.integration,
        actionId: run.actionId,
        dryRun: false,
        outcome: 'rejected',
        reason,
        idempotencyKey: run.idempotencyKey,
        startedAt: Date.parse(run.startedAt),
        finishedAt: Date.now(),
      },
      this.options.onAudit,
    );
    await event.fail({
      error: new Error(reason),
      meta: { status: 'rejected', code },
    });
    return { httpStatus: 409, run };
  }

  /** Ends a run: stored result, audit row, auditor event, lock released. */
  private async finish(
    run: ActionRun,
    event: AuditorServiceEvent,
    startedAt: number,
  ) {
    const { store, logger } = this.options;
    run.phase = 'done';
    run.finishedAt = new Date().toISOString();
    try {
      await store.saveRun(run);
      await store.appendAudit(
        {
          runId: run.runId,
          actor: run.actor,
          entityRef: run.entityRef,
          integration: run.integration,
          actionId: run.actionId,
          dryRun: false,
          outcome: run.status,
          reason: run.reason,
          diff: run.diff,
          previous: run.previous,
          verification: run.verification,
          idempotencyKey: run.idempotencyKey,
          startedAt,
          finishedAt: Date.parse(run.finishedAt),
        },
        this.options.onAudit,
      );
    } finally {
      await store.releaseLock(run.entityRef, run.actionId, run.runId);
    }
    const meta = {
      status: run.status,
      ...(run.code ? { code: run.code } : {}),
    };
    if (run.status === 'succeeded') await event.success({ meta });
    else await event.fail({ error: new Error(run.reason ?? run.status), meta });
    logger.info(
      `${run.actionId} on ${run.entityRef} by ${run.actor}: ${run.status}${
        run.reason ? ` (${run.reason})` : ''
      }`,
    );
  }

  // ------------------------------------------------------------------------------------------
  // dry run

  private async dryRun(req: RunActionRequest): Promise<ActionRun> {
    const startedAt = Date.now();
    const target = req.integration.kubernetes!;
    const kube = this.writer(req.integration);
    const run: ActionRun = {
      runId: randomUUID(),
      entityRef: req.entityRef,
      integration: req.integration.name,
      actionId: req.actionId,
      dryRun: true,
      actor: userOf(req.credentials),
      status: 'dry-run',
      phase: 'dry-run',
      diff: [],
      idempotencyKey: req.idempotencyKey,
      startedAt: new Date(startedAt).toISOString(),
    };
    const event = await this.event(req.actionId, req.request, {
      entityRef: req.entityRef,
      actionId: req.actionId,
      dryRun: true,
    });
    try {
      const deployment = await kube.readDeployment(
        target.namespace,
        target.deployment,
      );
      if (req.actionId === 'rotate-api-key') {
        run.diff = await this.rotationDryRun(req, kube, deployment);
        run.reason = req.newApiKey
          ? 'The pasted key would replace the current one; the deployment restarts; the old key is deleted at Vast.ai once the new one is verified'
          : 'A new key would be created at Vast.ai and replace the current one; the deployment restarts; the old key is deleted once the new one is verified';
      } else {
        const plan = await this.plan(req, deployment);
        if (!plan.patch) {
          run.reason = plan.noop;
        } else {
          const after = await kube.patchDeployment(
            target.namespace,
            target.deployment,
            plan.patch,
            {
              dryRun: true,
            },
          );
          run.diff = deploymentDiff(deployment, after, target.container);
          run.previous = plan.previous;
        }
      }
    } catch (error) {
      const reason = this.scrub(req, (error as Error).message);
      await this.auditDryRun(run, startedAt, 'failed', reason);
      await event.fail({ error: new Error(reason) });
      if (error instanceof InputError) throw error;
      run.status = 'failed';
      run.reason = reason;
      run.code = error instanceof ActionFailure ? error.code : 'error';
      run.phase = 'done';
      return run;
    }
    run.finishedAt = new Date().toISOString();
    await this.auditDryRun(run, startedAt, 'dry-run', run.reason);
    await event.success({ meta: { status: 'dry-run' } });
    return run;
  }

  private async auditDryRun(
    run: ActionRun,
    startedAt: number,
    outcome: string,
    reason?: string,
  ) {
    await this.options.store.appendAudit(
      {
        runId: run.runId,
        actor: run.actor,
        entityRef: run.entityRef,
        integration: run.integration,
        actionId: run.actionId,
        dryRun: true,
        outcome,
        reason,
        diff: run.diff,
        previous: run.previous,
        idempotencyKey: run.idempotencyKey,
        startedAt,
        finishedAt: Date.now(),
      },
      this.options.onAudit,
    );
  }

  private async rotationDryRun(
    req: RunActionRequest,
    kube: KubernetesWriter,
    deployment: DeploymentLike,
  ): Promise<ActionDiffLine[]> {
    const target = req.integration.kubernetes!;
    const secret = await kube.readSecret(target.namespace, target.secretName!);
    const key = target.secretKey ?? 'api-key';
    // The server validates the write without persisting it; no vendor call in a dry run, so a
    // placeholder stands in for the key that would be created.
    await kube.writeSecretKey(
      target.namespace,
      target.secretName!,
      key,
      req.newApiKey ?? 'dry-run-placeholder',
      {
        resourceVersion: secret.resourceVersion,
        dryRun: true,
      },
    );
    this.assertNotPaused(deployment);
    const after = await kube.patchDeployment(
      target.namespace,
      target.deployment,
      restartPatch(new Date()),
      {
        dryRun: true,
      },
    );
    return [
      {
        object: `Secret ${target.namespace}/${target.secretName}`,
        path: `data[${key}]`,
        before: key in secret.data ? MASK : null,
        after: MASK,
        secret: true,
      },
      ...deploymentDiff(deployment, after, target.container),
    ];
  }

  private assertNotPaused(deployment: DeploymentLike) {
    if (deployment.spec?.paused) {
      throw new ActionFailure(
        `Deployment ${deployment.metadata?.name} is paused; a restart would not roll out (run rollout resume first)`,
        'paused',
      );
    }
  }

  // ------------------------------------------------------------------------------------------
  // deployment actions: env switches and restart

  /** The patch an action makes, what it replaces, or why nothing needs to change. */
  private async plan(
    req: RunActionRequest,
    deployment: DeploymentLike,
  ): Promise<{
    patch?: unknown;
    previous?: Record<string, string | null>;
    noop?: string;
    change?: EnvChange;
    replaced?: EnvVar;
  }> {
    const target = req.integration.kubernetes!;
    if (req.actionId === 'rollout-restart') {
      this.assertNotPaused(deployment);
      const was =
        deployment.spec?.template?.metadata?.annotations?.[
          RESTARTED_AT_ANNOTATION
        ] ?? null;
      return {
        patch: restartPatch(new Date()),
        previous: { [RESTARTED_AT_ANNOTATION]: was },
      };
    }
    const spec = ENV_ACTIONS[req.actionId]!;
    let change: EnvChange = { name: spec.variable, value: spec.value };
    if (spec.revertOf) {
      // A revert restores exactly what its forward action replaced, when that is on record.
      const recorded = await this.options.store.readPrevious(
        req.entityRef,
        spec.variable,
      );
      if (recorded) {
        change = recorded.entry
          ? { name: spec.variable, entry: recorded.entry as EnvVar }
          : { name: spec.variable, remove: true };
      }
    }
    const replaced = envEntry(deployment, target.container, spec.variable);
    const patch = setEnvPatch(deployment, target.container, [change]);
    if (!patch) {
      return {
        noop: `${spec.variable} is already ${
          describeEnv(replaced) ?? 'absent'
        }; nothing to change`,
      };
    }
    return {
      patch,
      previous: { [spec.variable]: describeEnv(replaced) },
      change,
      replaced,
    };
  }

  private async applyDeploymentAction(
    req: RunActionRequest,
    run: ActionRun,
  ): Promise<(() => Promise<void>) | undefined> {
    const { store } = this.options;
    const target = req.integration.kubernetes!;
    const kube = this.writer(req.integration);
    run.phase = 'applying';
    const before = await kube.readDeployment(
      target.namespace,
      target.deployment,
    );
    const plan = await this.plan(req, before);
    if (!plan.patch) {
      run.status = 'succeeded';
      run.reason = plan.noop;
      return undefined;
    }
    // S13: the server validates the very patch first; only then the write.
    await kube.patchDeployment(
      target.namespace,
      target.deployment,
      plan.patch,
      { dryRun: true },
    );
    const after = await kube.patchDeployment(
      target.namespace,
      target.deployment,
      plan.patch,
      { dryRun: false },
    );
    run.diff = deploymentDiff(before, after, target.container);
    run.previous = plan.previous;
    const spec = ENV_ACTIONS[req.actionId];
    if (spec && !spec.revertOf) {
      // Remember what the forward action replaced, unless an earlier forward run already did
      // (a second enable must not make "true" the value to restore).
      const recorded = await store.readPrevious(req.entityRef, spec.variable);
      if (!recorded)
        await store.recordPrevious(
          req.entityRef,
          spec.variable,
          plan.replaced,
          run.runId,
        );
    } else if (spec?.revertOf) {
      await store.forgetPrevious(req.entityRef, spec.variable);
    }
    const appliedAt = Date.now();
    return async () => {
      run.phase = 'verifying';
      await store.saveRun(run);
      const verification = await this.verify(req, kube, appliedAt);
      run.verification = verification;
      this.conclude(run, verification);
    };
  }

  private verify(
    req: RunActionRequest,
    kube: KubernetesWriter,
    startedAt: number,
  ) {
    return verifyAction({
      actionId: req.actionId,
      integration: req.integration,
      kube,
      signals: this.options.signals,
      timings: {
        deadlineMs: this.options.settings.verifyTimeoutMs,
        pollIntervalMs: this.options.settings.verifyPollMs,
      },
      startedAt,
    });
  }

  private conclude(run: ActionRun, v: ActionVerification) {
    if (v.rolloutComplete && v.recovered) {
      run.status = 'succeeded';
      run.reason = `verified: ${v.evidence.join('; ')}`;
    } else {
      run.status = 'unverified';
      run.reason = v.rolloutComplete
        ? `the change rolled out, but ${
            v.signal ?? 'the triggering signal'
          } did not recover within ${v.deadlineSeconds} s: ${v.evidence.join(
            '; ',
          )}`
        : `the rollout did not complete within ${
            v.deadlineSeconds
          } s: ${v.evidence.join('; ')}`;
    }
  }

  // ------------------------------------------------------------------------------------------
  // key rotation

  private async applyRotation(
    req: RunActionRequest,
    run: ActionRun,
  ): Promise<(() => Promise<void>) | undefined> {
    const { store } = this.options;
    const target = req.integration.kubernetes!;
    const secretName = target.secretName!;
    const secretKey = target.secretKey ?? 'api-key';
    const kube = this.writer(req.integration);
    const vendor = this.vendorKeys;
    if (!vendor) {
      throw new ActionFailure(
        'No Vast.ai API URL or operator key is configured; keys cannot be rotated',
        'not-configured',
      );
    }
    run.phase = 'applying';
    const deployment = await kube.readDeployment(
      target.namespace,
      target.deployment,
    );
    this.assertNotPaused(deployment);
    const secret = await kube.readSecret(target.namespace, secretName);
    const oldKey: string | undefined = secret.data[secretKey];

    // The new key: the pasted one (checked with the vendor first) or a fresh one.
    let newKey: string;
    let newKeyId: number | undefined;
    let created = false;
    if (req.newApiKey) {
      newKey = req.newApiKey;
      newKeyId = await vendor.idOfKey(newKey);
      if (newKeyId === undefined) {
        throw new ActionFailure(
          'Vast.ai does not accept the pasted key; nothing was changed',
          'invalid-key',
        );
      }
    } else {
      const made = await vendor.createKey(
        `${req.integration.name}-${new Date().toISOString().slice(0, 19)}`,
      );
      newKey = made.key;
      newKeyId = made.id;
      created = true;
    }
    const redact = createRedactor([
      this.options.config.vendor.operatorApiKey,
      oldKey,
      newKey,
    ]);
    const discardNewKey = async () => {
      if (created && newKeyId !== undefined)
        await vendor.deleteKey(newKeyId).catch(() => false);
    };

    let written: { resourceVersion: string };
    try {
      const options = { resourceVersion: secret.resourceVersion };
      await kube.writeSecretKey(
        target.namespace,
        secretName,
        secretKey,
        newKey,
        { ...options, dryRun: true },
      );
      written = await kube.writeSecretKey(
        target.namespace,
        secretName,
        secretKey,
        newKey,
        {
          ...options,
          dryRun: false,
        },
      );
    } catch (error) {
      await discardNewKey();
      if (error instanceof KubernetesApiError && error.status === 409) {
        // S14: reported, never retried blindly: someone else changed the Secret.
        throw new ActionFailure(
          `Secret ${
            target.namespace
          }/${secretName} changed since it was read (409 Conflict); nothing was rotated${
            created ? ' and the new key was deleted at Vast.ai' : ''
          }. Check who changed it, then run the rotation again.`,
          'conflict',
        );
      }
      throw new ActionFailure(redact((error as Error).message), 'error');
    }
    run.diff = [
      {
        object: `Secret ${target.namespace}/${secretName}`,
        path: `data[${secretKey}]`,
        before: oldKey !== undefined ? MASK : null,
        after: MASK,
        secret: true,
      },
    ];
    run.previous = {
      [`Secret ${secretName}[${secretKey}]`]:
        oldKey !== undefined ? MASK : null,
    };

    const restart = async () => {
      const current = await kube.readDeployment(
        target.namespace,
        target.deployment,
      );
      const patch = restartPatch(new Date());
      await kube.patchDeployment(target.namespace, target.deployment, patch, {
        dryRun: true,
      });
      return {
        before: current,
        after: await kube.patchDeployment(
          target.namespace,
          target.deployment,
          patch,
          { dryRun: false },
        ),
      };
    };
    const first = await restart();
    run.diff.push(
      ...deploymentDiff(first.before, first.after, target.container),
    );
    const appliedAt = Date.now();

    return async () => {
      run.phase = 'verifying';
      await store.saveRun(run);
      const verification = await this.verify(req, kube, appliedAt);
      run.verification = verification;
      if (verification.rolloutComplete && verification.recovered) {
        const deletion = await this.deleteOldKey(
          req.integration.name,
          oldKey,
          newKeyId!,
          vendor,
        );
        verification.evidence.push(deletion);
        await store.recordKeyId(req.integration.name, newKeyId!);
        run.status = 'succeeded';
        run.reason = redact(`verified: ${verification.evidence.join('; ')}`);
        return;
      }
      // Verification failed: put the old key back (only over our own write), restart, say so.
      run.phase = 'restoring';
      await store.saveRun(run);
      let restored: string;
      try {
        if (oldKey === undefined)
          throw new Error('the Secret had no key before');
        await kube.writeSecretKey(
          target.namespace,
          secretName,
          secretKey,
          oldKey,
          {
            resourceVersion: written.resourceVersion,
            dryRun: false,
          },
        );
        await restart();
        await discardNewKey();
        restored = 'the old key was put back and the deployment restarted';
      } catch (error) {
        restored =
          error instanceof KubernetesApiError && error.status === 409
            ? 'the old key was NOT put back: the Secret changed again meanwhile (409 Conflict)'
            : `the old key could NOT be put back (${redact(
                (error as Error).message,
              )})`;
      }
      run.status = 'failed';
      run.code = 'verification-failed';
      run.reason = redact(
        `the new key did not verify within ${
          verification.deadlineSeconds
        } s (${verification.evidence.join('; ')}); ${restored}`,
      );
    };
  }

  /**
   * Deletes the key the Secret held before, once the new one works. Its id comes from our own
   * record of the last rotation or from the vendor (asked with the key itself), and must be in
   * the account's key list; the key value is compared, never logged.
   */
  private async deleteOldKey(
    integration: string,
    oldKey: string | undefined,
    newKeyId: number,
    vendor: VendorKeyClient,
  ): Promise<string> {
    if (!oldKey) return 'no old key to delete';
    try {
      let oldId = await vendor.idOfKey(oldKey);
      if (oldId === undefined) {
        const recorded = await this.options.store.readKeyId(integration);
        const live = await vendor.listKeys();
        // A revoked key is no longer listed: then there is nothing left to delete.
        oldId =
          recorded !== undefined && live.some(k => k.id === recorded)
            ? recorded
            : undefined;
        if (oldId === undefined)
          return 'the old key is no longer valid at Vast.ai; nothing to delete';
      }
      if (oldId === newKeyId)
        return 'the old and new key are the same key; nothing deleted';
      const listed = await vendor.listKeys();
      if (!listed.some(k => k.id === oldId))
        return `the old key (id ${oldId}) is not listed at Vast.ai; nothing deleted`;
      return (await vendor.deleteKey(oldId))
        ? `the old key (id ${oldId}) was deleted at Vast.ai`
        : `the old key (id ${oldId}) was already gone at Vast.ai`;
    } catch (error) {
      return `the old key could not be deleted at Vast.ai (${
        (error as Error).message
      }); delete it by hand`;
    }
  }
}
