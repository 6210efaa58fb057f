import { createApiRef } from '@backstage/frontend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  KubernetesValue,
  LogsResponse,
  MetricQueryId,
  MetricRange,
  MetricRangeResponse,
  Signal,
  TriageReport,
  VASTAI_INCIDENT_PLUGIN_ID,
} from '@internal/plugin-vastai-incident-common';

/**
 * The pods of an entity's deployment, as the backend's `/pods` route answers:
 * the Kubernetes signal (state, summary, age), its value the deployment and pods.
 */
export type PodsResponse = Signal<KubernetesValue>;

/** Read access to the backend plugin, scoped to one catalog entity. */
export interface VastaiIncidentApi {
  getTriage(entity: CompoundEntityRef): Promise<TriageReport>;
  getMetricRange(
    entity: CompoundEntityRef,
    queryId: MetricQueryId,
    range: MetricRange,
  ): Promise<MetricRangeResponse>;
  getPods(entity: CompoundEntityRef): Promise<PodsResponse>;
  getLogs(
    entity: CompoundEntityRef,
    options?: { sinceMinutes?: number },
  ): Promise<LogsResponse>;
}

export const vastaiIncidentApiRef = createApiRef<VastaiIncidentApi>().with({
  id: 'plugin.vastai-incident.client',
  pluginId: VASTAI_INCIDENT_PLUGIN_ID,
});
