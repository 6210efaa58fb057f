/**
 * Backend of the Vast.ai incident plugins: probes, triage, remediations, incidents.
 *
 * @packageDocumentation
 */
export { vastaiIncidentPlugin as default } from './plugin';
export { vastaiIncidentUpstreamsExtensionPoint } from './extensions';
export type { VastaiIncidentUpstreamsExtensionPoint } from './extensions';
export { createSignalsRouter } from './signals/router';
export type { SignalsRouterOptions } from './signals/router';
export { EntityGate } from './access/entityGate';
export type {
  EntityGateOptions,
  EntityCheck,
  RefusalRecorder,
} from './access/entityGate';
export { AccessAudit, AccessAuditStore } from './access/accessAudit';
export type { AccessRefusal } from './access/accessAudit';
export { SignalService, buildTriageReport } from './signals';
export type { SignalServiceOptions, UpstreamClients } from './signals';
export { readConfig, readVastaiIncidentConfig } from './config';
export type {
  PluginConfig,
  VastaiIncidentConfig,
  IntegrationConfig,
  ClusterConfig,
} from './config';
export type { HttpClient, HttpRequest, HttpResponse } from './upstream';
export { nodeHttpClient } from './upstream';
export type {
  PrometheusClient,
  KubernetesReader,
  StatusPageParser,
  Probe,
} from './probes';
export {
  createKubernetesApis,
  createKubernetesReader,
  createHttpPrometheusClient,
} from './probes';
