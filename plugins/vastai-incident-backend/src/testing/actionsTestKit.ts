/**
 * Test kit for the actions (used by the actions' *.test.ts files only): the plugin's real config
 * reader, SignalService and ActionsService wired to a running sandbox, with recording logger,
 * auditor and permissions so tests can assert on everything that leaves the service.
 */
import type {
  AuditorService,
  DatabaseService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import type { KubeWriteRecord, Sandbox } from '@internal/vastai-sandbox';
import type { Knex } from 'knex';
import {
  createKubernetesWriter,
  KubernetesWriter,
} from '../actions/kubernetesWriter';
import { EnvChange, setEnvPatch } from '../actions/patches';
import { ActionsService, ActionsServiceOptions } from '../actions/service';
import { readActionSettings } from '../actions/settings';
import { ActionStore } from '../actions/store';
import { readVastaiIncidentConfig } from '../config';
import { SignalService } from '../signals';
import { HttpClient, HttpRequest, nodeHttpClient } from '../upstream';
import { createMemoryCache } from './memoryCache';

export { eventually } from '@internal/vastai-sandbox/testing';

export const INTEGRATION = 'vastai-integration';
export const ENTITY_REF = 'component:default/vastai-integration';
/** A second integration (and entity) bound to the very same deployment as INTEGRATION. */
export const TWIN_INTEGRATION = 'vastai-integration-twin';
export const TWIN_ENTITY_REF = 'component:default/vastai-integration-twin';

export interface SandboxUrlsLike {
  vastApi: string;
  kubernetes: string;
  services: Record<string, string>;
  prometheus?: string;
}

export function sandboxConfig(
  urls: SandboxUrlsLike,
  actions: JsonObject = {},
  operatorKey = 'sandbox-operator-key',
): JsonObject {
  return {
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'sandbox',
              url: urls.kubernetes,
              authProvider: 'serviceAccount',
              serviceAccountToken: 'sandbox-token',
              skipTLSVerify: true,
            },
          ],
        },
      ],
    },
    vastaiIncident: {
      actionsEnabled: true,
      cacheTtlSeconds: 0.5,
      upstreamTimeoutMs: 3000,
      actions: {
        cooldownSeconds: 0,
        verifyTimeoutSeconds: 40,
        verifyPollSeconds: 0.3,
        ...actions,
      },
      vendor: {
        apiBaseUrl: `${urls.vastApi}/api/v0`,
        operatorApiKey: operatorKey,
        probeMinIntervalSeconds: 1,
        status: { type: 'none' },
      },
      ...(urls.prometheus
        ? { prometheus: { baseUrl: urls.prometheus, rateWindow: '10s' } }
        : {}),
      integrations: {
        [INTEGRATION]: {
          entities: [ENTITY_REF],
          healthUrl: `${urls.services[INTEGRATION]}/health`,
          prometheusJob: INTEGRATION,
          kubernetes: {
            cluster: 'sandbox',
            namespace: 'vastai',
            deployment: INTEGRATION,
            container: 'app',
            secretName: 'vastai-secrets',
            secretKey: 'api-key',
          },
        },
      },
    },
  };
}

/**
 * The config with TWIN_INTEGRATION added, bound to TWIN_ENTITY_REF: the same deployment, Secret
 * and health URL as INTEGRATION.
 */
export function withTwinIntegration(config: JsonObject): JsonObject {
  const plugin = config.vastaiIncident as JsonObject;
  const integrations = plugin.integrations as JsonObject;
  return {
    ...config,
    vastaiIncident: {
      ...plugin,
      integrations: {
        ...integrations,
        [TWIN_INTEGRATION]: {
          ...(integrations[INTEGRATION] as JsonObject),
          entities: [TWIN_ENTITY_REF],
        },
      },
    },
  };
}

/** The sandbox's Kubernetes API as a client of its own, for edits "by someone else". */
export function sandboxKube(urls: SandboxUrlsLike): KubernetesWriter {
  return createKubernetesWriter(
    {
      name: 'sandbox',
      url: urls.kubernetes,
      serviceAccountToken: 'sandbox-token',
      skipTLSVerify: true,
    },
    { http: nodeHttpClient, timeoutMs: 5000, maxBytes: 1 << 20 },
  );
}

/** `kubectl set env` on the sandbox's INTEGRATION deployment, through its Kubernetes API. */
export async function setIntegrationEnv(
  kube: KubernetesWriter,
  changes: EnvChange[],
): Promise<void> {
  const deployment = await kube.readDeployment('vastai', INTEGRATION);
  const patch = setEnvPatch(deployment, 'app', changes);
  if (patch)
    await kube.patchDeployment('vastai', INTEGRATION, patch, { dryRun: false });
}

/** An HTTP client that records every request it sends (URL, method, body) before sending it. */
export function recordingHttp(): HttpClient & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  const client = (request: HttpRequest) => {
    requests.push(request);
    return nodeHttpClient(request);
  };
  return Object.assign(client, { requests });
}

/** What the tests read back from the sandbox (started later, hence the getter). */
export function sandboxReadings(sandbox: () => Sandbox) {
  return {
    /** INTEGRATION's pod template, as a copy. */
    template: () =>
      JSON.parse(
        JSON.stringify(
          sandbox().kube.getObject('Deployment', 'vastai', INTEGRATION)!.spec
            .template,
        ),
      ),
    /** The writes that persisted (not dry runs). */
    realWrites: (): KubeWriteRecord[] =>
      sandbox()
        .kube.writes()
        .filter(w => !w.dryRun),
    /** The key in INTEGRATION's Secret now. */
    secretValue: () =>
      sandbox().kube.getSecretData('vastai', 'vastai-secrets')!['api-key'],
    /** Calls the product made to Vast.ai with the operator key. */
    operatorCalls: () => sandbox().vastCalls().byIdentity.operator ?? 0,
    /** Keys the product created at Vast.ai. */
    keysCreated: () =>
      sandbox().vastCalls().byIdentityAndEndpoint.operator?.[
        'POST /api/v0/auth/apikeys/'
      ] ?? 0,
  };
}

/** A write as the sandbox's Kubernetes API records it (Secret values masked). */
export interface RecordedKubeWrite {
  method: string;
  path: string;
  dryRun: boolean;
  contentType?: string;
  body: unknown;
}

/**
 * The writes that persisted without a server-side dry run of the very same request (method,
 * path, content type and body) right before them: none, when every write is validated first.
 */
export function writesWithoutDryRun(
  writes: RecordedKubeWrite[],
): RecordedKubeWrite[] {
  const sameRequest = (a: RecordedKubeWrite, b: RecordedKubeWrite) =>
    a.method === b.method &&
    a.path === b.path &&
    a.contentType === b.contentType &&
    JSON.stringify(a.body) === JSON.stringify(b.body);
  return writes.filter(
    (w, i) =>
      !w.dryRun &&
      !(i > 0 && writes[i - 1].dryRun && sameRequest(writes[i - 1], w)),
  );
}

/** A key as it could leak: raw, base64 (padded and not), URL-encoded. */
export function leakForms(key: string): string[] {
  const base64 = Buffer.from(key).toString('base64');
  return [key, base64, base64.replace(/=+$/, ''), encodeURIComponent(key)];
}

/** Every line the service logs, at any level, with its metadata. */
export function recordingLogger(
  lines: string[] = [],
): LoggerService & { lines: string[] } {
  const logger: any = { lines };
  for (const level of ['error', 'warn', 'info', 'debug']) {
    logger[level] = (message: string, meta?: unknown) =>
      lines.push(`${level} ${message} ${meta ? JSON.stringify(meta) : ''}`);
  }
  logger.child = () => logger;
  return logger;
}

export interface RecordedAuditEvent {
  eventId: string;
  severityLevel?: string;
  meta?: unknown;
  outcome?: 'success' | 'fail';
  outcomeMeta?: unknown;
  error?: string;
}

export function recordingAuditor(
  events: RecordedAuditEvent[] = [],
): AuditorService & {
  events: RecordedAuditEvent[];
} {
  return {
    events,
    async createEvent(options) {
      const event: RecordedAuditEvent = {
        eventId: options.eventId,
        severityLevel: options.severityLevel,
        meta: options.meta,
      };
      events.push(event);
      return {
        async success(o) {
          event.outcome = 'success';
          event.outcomeMeta = o?.meta;
        },
        async fail(o) {
          event.outcome = 'fail';
          event.outcomeMeta = o.meta;
          event.error = String(o.error?.message ?? o.error);
        },
      };
    },
  };
}

/** Allows the named permissions (all when `allowed` is undefined), counting every decision. */
export function fakePermissions(allowed?: string[]): PermissionsService & {
  calls: Array<{ permission: string; resourceRef?: string }>;
  allowed?: string[];
} {
  const service: any = {
    calls: [],
    allowed,
    async authorize(requests: any[]): Promise<PolicyDecision[]> {
      return requests.map(r => {
        service.calls.push({
          permission: r.permission.name,
          resourceRef: r.resourceRef,
        });
        const ok =
          !service.allowed || service.allowed.includes(r.permission.name);
        return { result: ok ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
      });
    },
    async authorizeConditional() {
      throw new Error('not used');
    },
  };
  return service;
}

export function databaseOf(knex: Knex): DatabaseService {
  return { getClient: async () => knex };
}

export async function buildActions(options: {
  config: JsonObject;
  knex: Knex;
  permissions?: PermissionsService;
  withSignals?: boolean;
  clients?: ActionsServiceOptions['clients'];
}) {
  const root = new ConfigReader(options.config);
  const config = readVastaiIncidentConfig(root);
  const logger = recordingLogger();
  const auditor = recordingAuditor();
  const permissions = options.permissions ?? fakePermissions();
  const store = await ActionStore.create({
    database: databaseOf(options.knex),
  });
  const signals =
    options.withSignals === false
      ? undefined
      : new SignalService({ config, cache: createMemoryCache(), logger });
  const service = new ActionsService({
    config,
    settings: readActionSettings(root),
    store,
    logger,
    auditor,
    permissions,
    signals,
    clients: options.clients,
  });
  return { service, store, logger, auditor, permissions, config, signals };
}

/** Every row of every actions table, as one JSON text (for the canary). */
export async function dumpActionTables(knex: Knex): Promise<string> {
  const tables = [
    'vastai_action_audit',
    'vastai_action_runs',
    'vastai_action_locks',
    'vastai_action_previous',
    'vastai_action_keys',
  ];
  const rows: Record<string, unknown[]> = {};
  for (const table of tables) rows[table] = await knex(table).select();
  return JSON.stringify(rows);
}
