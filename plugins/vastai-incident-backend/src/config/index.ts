export {
  readConfig,
  readVastaiIncidentConfig,
  PROMQL_DURATION,
} from './readConfig';
export type {
  PluginConfig,
  VastaiIncidentConfig,
  IntegrationConfig,
  IntegrationKubernetesConfig,
  ClusterConfig,
} from './readConfig';
