import type {
  AuditorService,
  DatabaseService,
  LoggerService,
  PermissionsService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { readVastaiIncidentConfig, VastaiIncidentConfig } from '../config';
import { ActionsService, ActionsServiceOptions } from './service';
import { readActionSettings } from './settings';
import { ActionStore, AuditHook } from './store';
import type { SignalReader } from './verify';

export interface CreateActionsServiceOptions {
  logger: LoggerService;
  database: DatabaseService;
  auditor: AuditorService;
  permissions: PermissionsService;
  /** The root config (coreServices.rootConfig). */
  config: RootConfigService;
  /** Already read plugin config, if the caller has it (saves reading twice). */
  settings?: VastaiIncidentConfig;
  /** Where verification reads signals: pass the plugin's SignalService. */
  signals?: SignalReader;
  clients?: ActionsServiceOptions['clients'];
  /** Runs in the audit row's transaction: write the incident timeline entry here. */
  onAudit?: AuditHook;
}

/** Runs the actions' migrations and builds the service. */
export async function createActionsService(
  options: CreateActionsServiceOptions,
): Promise<ActionsService> {
  const store = await ActionStore.create({ database: options.database });
  return new ActionsService({
    config: options.settings ?? readVastaiIncidentConfig(options.config),
    settings: readActionSettings(options.config),
    store,
    logger: options.logger,
    auditor: options.auditor,
    permissions: options.permissions,
    signals: options.signals,
    clients: options.clients,
    onAudit: options.onAudit,
  });
}

export { createActionsRouter } from './router';
export type { ActionsRouterOptions } from './router';
export { ActionsService, httpStatusOf } from './service';
export type { ActionsServiceOptions, RunActionResult } from './service';
export type { ActionAttempt, RunActionRequest } from './context';
export { ActionStore } from './store';
export type { AuditHook, AuditRowInput } from './store';
export { readActionSettings } from './settings';
export type { ActionSettings } from './settings';
export { createKubernetesWriter, KubernetesApiError } from './kubernetesWriter';
export type { KubernetesWriter, SecretSnapshot } from './kubernetesWriter';
export { createVendorKeyClient } from './vendorKeys';
export type { VendorKeyClient } from './vendorKeys';
export { restartPatch, setEnvPatch, rolloutComplete } from './patches';
export type { SignalReader } from './verify';
export type * from './types';
