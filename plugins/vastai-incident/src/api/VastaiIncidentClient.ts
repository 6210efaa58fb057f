import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  LogsResponse,
  MetricQueryId,
  MetricRange,
  MetricRangeResponse,
  TriageReport,
  VASTAI_INCIDENT_PLUGIN_ID,
} from '@internal/plugin-vastai-incident-common';
import { PodsResponse, VastaiIncidentApi } from './VastaiIncidentApi';

/** Talks to `/api/vastai-incident/v1/entities/:namespace/:kind/:name/...`. */
export class VastaiIncidentClient implements VastaiIncidentApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  /**
   * Requests in flight, by URL. The tab and several cards ask for the same
   * triage at the same moment; they share one request instead of N.
   */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  getTriage(entity: CompoundEntityRef): Promise<TriageReport> {
    return this.get(entity, 'triage');
  }

  getMetricRange(
    entity: CompoundEntityRef,
    queryId: MetricQueryId,
    range: MetricRange,
  ): Promise<MetricRangeResponse> {
    return this.get(
      entity,
      `metrics/${encodeURIComponent(queryId)}`,
      new URLSearchParams({ range }),
    );
  }

  getPods(entity: CompoundEntityRef): Promise<PodsResponse> {
    return this.get(entity, 'pods');
  }

  getLogs(
    entity: CompoundEntityRef,
    options?: { sinceMinutes?: number },
  ): Promise<LogsResponse> {
    const query = new URLSearchParams();
    if (options?.sinceMinutes !== undefined) {
      query.set('sinceMinutes', String(options.sinceMinutes));
    }
    return this.get(entity, 'logs', query);
  }

  private async get<T>(
    entity: CompoundEntityRef,
    subPath: string,
    query?: URLSearchParams,
  ): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl(
      VASTAI_INCIDENT_PLUGIN_ID,
    );
    // Same casing as the catalog's own entity routes: kind and namespace lowercased.
    const entityPath = [
      entity.namespace.toLocaleLowerCase('en-US'),
      entity.kind.toLocaleLowerCase('en-US'),
      entity.name,
    ]
      .map(encodeURIComponent)
      .join('/');
    const search = query && [...query.keys()].length ? `?${query}` : '';
    const url = `${baseUrl}/v1/entities/${entityPath}/${subPath}${search}`;

    const pending = this.inFlight.get(url);
    if (pending) {
      return pending as Promise<T>;
    }
    const request = (async () => {
      const response = await this.fetchApi.fetch(url);
      if (!response.ok) {
        throw await ResponseError.fromResponse(response);
      }
      return (await response.json()) as T;
    })().finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, request);
    return request;
  }
}
