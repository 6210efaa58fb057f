import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type {
  Incident,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import type { IntegrationConfig } from '../config';
import { createRedactor } from '../redact';
import { buildTriageReport, SignalService } from '../signals';
import { HttpClient, nodeHttpClient } from '../upstream';
import type { IncidentsConfig, IntegrationCommsConfig } from './commsConfig';
import type { CommanderDirectory } from './commander';
import type { IncidentStore } from './store';

export interface IncidentServiceOptions {
  store: IncidentStore;
  logger: LoggerService;
  config: IncidentsConfig;
  /** Triage (severity pre-fill), metrics and logs for evidence and postmortems. */
  signals?: SignalService;
  /** Outbound HTTP for Slack and Statuspage (tests swap it). */
  http?: HttpClient;
  /** Deadline of one Slack / Statuspage call. Default 5000 ms. */
  sendTimeoutMs?: number;
  /** Backstage notifications to entity owners; absent = none sent. */
  notifications?: NotificationService;
  /** The remediation audit rows of an entity, for the evidence bundle. */
  auditRows?: (entityRef: string) => Promise<unknown[]>;
  /** Package versions for the evidence bundle. */
  versions?: () => Record<string, string>;
  /** The app's base URL for links in notifications (e.g. http://localhost:3000). */
  appBaseUrl?: string;
  /** The commander's Slack id and name from the catalog; absent = named as entered. */
  commanders?: CommanderDirectory;
}

/**
 * What the incident role services share: the options with their defaults filled in, and the
 * redactor every text a person typed passes before it is stored or sent.
 */
export interface IncidentContext
  extends Required<
    Pick<
      IncidentServiceOptions,
      'store' | 'logger' | 'config' | 'http' | 'sendTimeoutMs' | 'versions'
    >
  > {
  signals?: SignalService;
  notifications?: NotificationService;
  auditRows?: (entityRef: string) => Promise<unknown[]>;
  appBaseUrl?: string;
  commanders?: CommanderDirectory;
  /** Removes every configured secret (and anything secret-looking) from text. */
  redact: (text: string) => string;
}

function defaultVersions(): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  for (const name of [
    '@vastai-incident/backstage-plugin-backend',
    '@backstage/backend-plugin-api',
    '@backstage/backend-defaults',
  ]) {
    try {
      versions[name] = require(`${name}/package.json`).version;
    } catch {
      // not resolvable from here: left out
    }
  }
  return versions;
}

export function createIncidentContext(
  options: IncidentServiceOptions,
): IncidentContext {
  return {
    ...options,
    http: options.http ?? nodeHttpClient,
    sendTimeoutMs: options.sendTimeoutMs ?? 5000,
    versions: options.versions ?? defaultVersions,
    redact: createRedactor(options.config.secrets),
  };
}

/** The configured integration of the incident's entity, if both exist. */
export function integrationOf(
  ctx: IncidentContext,
  integrationName: string | undefined,
): IntegrationConfig | undefined {
  return integrationName
    ? ctx.signals?.integration(integrationName)
    : undefined;
}

/** A fresh triage of the entity, or undefined without signals or integration. */
export async function triageOf(
  ctx: IncidentContext,
  entityRef: string,
  integrationName?: string,
): Promise<TriageReport | undefined> {
  const integration = integrationOf(ctx, integrationName);
  if (!ctx.signals || !integration) return undefined;
  return buildTriageReport(ctx.signals, entityRef, integration);
}

/** The Slack and status-page settings of the incident's integration (empty when none). */
export function commsOf(
  ctx: IncidentContext,
  incident: Incident,
): IntegrationCommsConfig {
  return (
    (incident.integration && ctx.config.comms.get(incident.integration)) || {}
  );
}
