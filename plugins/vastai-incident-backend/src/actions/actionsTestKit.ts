/**
 * Test kit for the actions (used by the *.test.ts files here only): the plugin's real config
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
import type { Knex } from 'knex';
import { readVastaiIncidentConfig } from '../config';
import { SignalService } from '../service';
import { createMemoryCache } from '../testing/memoryCache';
import { ActionsService } from './service';
import { readActionSettings } from './settings';
import { ActionStore } from './store';

export const INTEGRATION = 'vastai-integration';
export const ENTITY_REF = 'component:default/vastai-integration';

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
  });
  return { service, store, logger, auditor, permissions, config, signals };
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T> | T,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
  intervalMs = 200,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch {
      // retry
    }
    if (Date.now() > until) {
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms (last: ${JSON.stringify(
          last,
        )})`,
      );
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
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
