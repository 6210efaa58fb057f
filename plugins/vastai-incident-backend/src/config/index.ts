export {
  readConfig,
  readVastaiIncidentConfig,
  PROMQL_DURATION,
} from './readConfig';
export type {
  PluginConfig,
  McpSettings,
  VastaiIncidentConfig,
  IntegrationConfig,
  IntegrationKubernetesConfig,
  ClusterConfig,
} from './readConfig';
