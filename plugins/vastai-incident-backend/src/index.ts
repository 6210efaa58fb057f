/**
 * Backend of the Vast.ai incident plugins: probes, triage, remediations, incidents.
 *
 * @packageDocumentation
 */
export { vastaiIncidentPlugin as default } from './plugin';
export { vastaiIncidentUpstreamsExtensionPoint } from './extensions';
export type { VastaiIncidentUpstreamsExtensionPoint } from './extensions';
export { createRouter } from './router';
export type { RouterOptions } from './router';
export { SignalService, buildTriageReport } from './service';
export type { SignalServiceOptions, UpstreamClients } from './service';
export { readVastaiIncidentConfig } from './config';
export type {
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
