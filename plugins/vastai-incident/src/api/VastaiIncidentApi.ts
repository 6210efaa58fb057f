import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  KubernetesValue,
  LogsResponse,
  MetricQueryId,
  MetricRange,
  MetricRangeResponse,
  Signal,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import { pluginApiRef } from './pluginApiRef';

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

export const vastaiIncidentApiRef = pluginApiRef<VastaiIncidentApi>('client');
