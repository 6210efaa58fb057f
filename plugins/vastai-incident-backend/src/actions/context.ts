import type {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { ActionId } from '@vastai-incident/backstage-plugin-common';
import type { Request } from 'express';
import type {
  ClusterConfig,
  IntegrationConfig,
  VastaiIncidentConfig,
} from '../config';
import { createRedactor } from '../redact';
import { HttpClient, nodeHttpClient } from '../upstream';
import { createKubernetesWriter, KubernetesWriter } from './kubernetesWriter';
import type { DeploymentLike } from './patches';
import type { ActionSettings } from './settings';
import type { ActionStore, AuditHook, DeploymentTarget } from './store';
import type { ActionRun, ActionVerification } from './types';
import { SignalReader, verifyAction } from './verify';
import { createVendorKeyClient, VendorKeyClient } from './vendorKeys';

/** What the actions are built from, apart from the auditor and permissions the service keeps. */
export interface ActionContextOptions {
  config: VastaiIncidentConfig;
  settings: ActionSettings;
  store: ActionStore;
  logger: LoggerService;
  /** Where verification reads the triggering signal (the plugin's SignalService). */
  signals?: SignalReader;
  clients?: {
    http?: HttpClient;
    kubernetes?: (cluster: ClusterConfig) => KubernetesWriter;
    vendorKeys?: VendorKeyClient;
  };
  /** Runs inside each audit row's transaction, so the incident timeline entry commits with it. */
  onAudit?: AuditHook;
}

/** Who asks for which action on which entity, before any target is read. */
export interface ActionAttempt {
  credentials: BackstageCredentials;
  entityRef: string;
  actionId: ActionId;
  dryRun: boolean;
  idempotencyKey?: string;
  /** The HTTP request, for the auditor event. */
  request?: Request;
}

/** An authorized attempt with its integration, from config. */
export interface RunActionRequest extends ActionAttempt {
  integration: IntegrationConfig;
  /** A key pasted by the user for `rotate-api-key`: write-only, never echoed or stored. */
  newApiKey?: string;
}

/**
 * What the pieces of a run (deployment actions, key rotation, run records) work with. They get
 * everything from here and never call back into the service.
 */
export interface ActionContext {
  config: VastaiIncidentConfig;
  settings: ActionSettings;
  store: ActionStore;
  logger: LoggerService;
  signals?: SignalReader;
  onAudit?: AuditHook;
  /** Absent when no Vast.ai API URL or operator key is configured. */
  vendorKeys?: VendorKeyClient;
  /** The writer for the cluster of an integration's deployment (one per cluster). */
  kubernetes(integration: IntegrationConfig): KubernetesWriter;
  /** Masks the operator key and the given secrets, and anything else that looks like a secret. */
  redactor(...secrets: Array<string | undefined>): (text: string) => string;
}

/** What runs in the background once a change is written: verification, then cleanup or restore. */
export type BackgroundWork = () => Promise<void>;

/**
 * A failure of the apply step with a machine-readable code (`conflict`: the Secret or the
 * deployment changed since it was read, a 409 from the API server; nothing was written).
 */
export class ActionFailure extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/**
 * A refusal before anything was written or created (the deployment is not fit for the action):
 * the run ends `rejected` with this code and reason.
 */
export class ActionRefusal extends ActionFailure {}

/** The deployment an integration's actions write to: from config, never from a request. */
export function targetOf(integration: IntegrationConfig): DeploymentTarget {
  const target = integration.kubernetes;
  if (!target) {
    throw new InputError(
      `Integration "${integration.name}" has no Kubernetes deployment configured`,
    );
  }
  return {
    cluster: target.cluster,
    namespace: target.namespace,
    deployment: target.deployment,
  };
}

/** How a deployment is named in reasons: kind, namespace/name, cluster. */
export function describeTarget(target: DeploymentTarget): string {
  return `Deployment ${target.namespace}/${target.deployment} (cluster ${target.cluster})`;
}

export function createActionContext(
  options: ActionContextOptions,
): ActionContext {
  const { config } = options;
  const http = options.clients?.http ?? nodeHttpClient;
  const writers = new Map<string, KubernetesWriter>();
  return {
    config,
    settings: options.settings,
    store: options.store,
    logger: options.logger,
    signals: options.signals,
    onAudit: options.onAudit,
    vendorKeys:
      options.clients?.vendorKeys ??
      (config.vendor.apiBaseUrl && config.vendor.operatorApiKey
        ? createVendorKeyClient({
            baseUrl: config.vendor.apiBaseUrl,
            operatorApiKey: config.vendor.operatorApiKey,
            http,
            timeoutMs: config.upstreamTimeoutMs,
            maxBytes: config.maxResponseBytes,
          })
        : undefined),
    kubernetes(integration) {
      const target = targetOf(integration);
      let writer = writers.get(target.cluster);
      if (!writer) {
        const cluster = config.clusters.get(target.cluster);
        if (!cluster)
          throw new InputError(`Cluster "${target.cluster}" is not configured`);
        writer =
          options.clients?.kubernetes?.(cluster) ??
          createKubernetesWriter(cluster, {
            http,
            timeoutMs: config.upstreamTimeoutMs,
            maxBytes: config.maxResponseBytes,
          });
        writers.set(target.cluster, writer);
      }
      return writer;
    },
    redactor: (...secrets) =>
      createRedactor([config.vendor.operatorApiKey, ...secrets]),
  };
}

/** What a kind of action does: preview the change, and make it. */
export interface ActionHandler {
  /** Fills the run's diff (and reason) from server-side dry runs; persists nothing. */
  dryRun(
    ctx: ActionContext,
    req: RunActionRequest,
    kube: KubernetesWriter,
    deployment: DeploymentLike,
    run: ActionRun,
  ): Promise<void>;
  /** Writes the change; the returned work verifies it (none when nothing needed to change). */
  apply(
    ctx: ActionContext,
    req: RunActionRequest,
    run: ActionRun,
  ): Promise<BackgroundWork | undefined>;
}

/**
 * Marks the run verifying, then waits for the rollout and the recovery of the triggering signal
 * within the configured deadline, counted from `appliedAt`. The result is also kept on the run.
 */
export async function verifyRun(
  ctx: ActionContext,
  req: RunActionRequest,
  run: ActionRun,
  kube: KubernetesWriter,
  appliedAt: number,
): Promise<ActionVerification> {
  run.phase = 'verifying';
  await ctx.store.saveRun(run);
  const verification = await verifyAction({
    actionId: req.actionId,
    integration: req.integration,
    kube,
    signals: ctx.signals,
    timings: {
      deadlineMs: ctx.settings.verifyTimeoutMs,
      pollIntervalMs: ctx.settings.verifyPollMs,
    },
    startedAt: appliedAt,
  });
  run.verification = verification;
  return verification;
}
