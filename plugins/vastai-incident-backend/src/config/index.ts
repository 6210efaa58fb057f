export { readVastaiIncidentConfig, PROMQL_DURATION } from './readConfig';
export type {
  VastaiIncidentConfig,
  IntegrationConfig,
  IntegrationKubernetesConfig,
  ClusterConfig,
} from './readConfig';
