import type {
  AuditorService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type {
  ActionsRegistryActionOptions,
  ActionsRegistryService,
} from '@backstage/backend-plugin-api/alpha';
import type { TriageReport } from '@vastai-incident/backstage-plugin-common';
import type { EntityGate } from '../access/entityGate';
import type { ActionsService } from '../actions';
import type { McpSettings } from '../config';
import { scrubError } from '../http/scrubErrors';
import type { IncidentService } from '../incidents';
import type { SignalService } from '../signals';

/** What the plugin's Backstage actions are built from: the same services its routes use. */
export interface BackstageActionsOptions {
  registry: ActionsRegistryService;
  /** The one entity-access gate of the routes: permission, binding, refusal records. */
  gate: EntityGate;
  signals: SignalService;
  actions: ActionsService;
  incidents: IncidentService;
  settings: McpSettings;
  auditor: AuditorService;
  logger: LoggerService;
  /** The routes' redactor (every configured secret, and anything that looks like one). */
  redact: (text: string) => string;
  /** Told of every triage report served, as the triage route tells it. */
  onTriage?: (report: TriageReport) => Promise<unknown> | void;
}

/** The zod the actions registry hands to each schema (its own copy, of its own version). */
export type Zod = Parameters<
  ActionsRegistryActionOptions<any, any>['schema']['input']
>[0];

/** The entity an action is about, as every action takes it. */
export const ENTITY_REF_DESCRIPTION =
  'The catalog entity, as an entity ref "kind:namespace/name", e.g. "component:default/vastai-integration"';

/**
 * Runs an action's body; an error leaves it only after passing the routes' redactor (the
 * actions registry's error handler answers it, not the plugin's router, whose last handler
 * scrubs the routes' errors the same way).
 */
export async function scrubbed<T>(
  redact: (text: string) => string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw scrubError(error, redact);
  }
}

/**
 * A value as it leaves over the wire: plain JSON (no undefined, no class instances), typed for
 * the registry's output schema, which validates it again.
 */
export function asJson(value: unknown): any {
  return JSON.parse(JSON.stringify(value));
}
