import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  LogsResponse,
  MetricQueryId,
  MetricRange,
  MetricRangeResponse,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import { entityPath, PluginBackendClient } from './PluginBackendClient';
import { PodsResponse, VastaiIncidentApi } from './VastaiIncidentApi';

/** Talks to `/api/vastai-incident/v1/entities/:namespace/:kind/:name/...`. */
export class VastaiIncidentClient
  extends PluginBackendClient
  implements VastaiIncidentApi
{
  /**
   * Requests in flight, by path. The tab and several cards ask for the same
   * triage at the same moment; they share one request instead of N.
   */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  getTriage(entity: CompoundEntityRef): Promise<TriageReport> {
    return this.get(entity, 'triage');
  }

  getMetricRange(
    entity: CompoundEntityRef,
    queryId: MetricQueryId,
    range: MetricRange,
  ): Promise<MetricRangeResponse> {
    return this.get(entity, `metrics/${encodeURIComponent(queryId)}`, {
      range,
    });
  }

  getPods(entity: CompoundEntityRef): Promise<PodsResponse> {
    return this.get(entity, 'pods');
  }

  getLogs(
    entity: CompoundEntityRef,
    options?: { sinceMinutes?: number },
  ): Promise<LogsResponse> {
    return this.get(entity, 'logs', { sinceMinutes: options?.sinceMinutes });
  }

  private get<T>(
    entity: CompoundEntityRef,
    subPath: string,
    query?: Record<string, string | number | undefined>,
  ): Promise<T> {
    const path = entityPath(entity, subPath);
    const key = `${path}?${JSON.stringify(query ?? {})}`;
    const pending = this.inFlight.get(key);
    if (pending) {
      return pending as Promise<T>;
    }
    const request = this.json<T>(path, { query }).finally(() =>
      this.inFlight.delete(key),
    );
    this.inFlight.set(key, request);
    return request;
  }
}
