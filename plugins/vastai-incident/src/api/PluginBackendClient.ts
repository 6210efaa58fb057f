import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { VASTAI_INCIDENT_PLUGIN_ID } from '@vastai-incident/backstage-plugin-common';

/** What every client of this plugin is built from: the app's discovery and fetch APIs. */
export interface PluginBackendOptions {
  discoveryApi: DiscoveryApi;
  fetchApi: FetchApi;
}

export interface BackendRequest {
  /** GET when absent. */
  method?: 'POST' | 'PATCH' | 'PUT';
  /** Sent as JSON; a request without one sends no body (the backend refuses unexpected bodies). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Query parameters; undefined ones are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Whether a failed answer is still the answer (a 409 that carries a run): its body is returned, not thrown. */
  acceptFailure?: (status: number, body: unknown) => boolean;
}

/**
 * The base of the plugin's clients: calls its backend under `/api/vastai-incident/v1` through
 * the fetch API, so the signed-in user's token goes along. A failed status is thrown as a
 * ResponseError.
 */
export abstract class PluginBackendClient {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: PluginBackendOptions) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  /** The URL of a path below `/v1`, with its query. */
  private async url(
    path: string,
    query?: BackendRequest['query'],
  ): Promise<string> {
    const baseUrl = await this.discoveryApi.getBaseUrl(
      VASTAI_INCIDENT_PLUGIN_ID,
    );
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = [...params.keys()].length ? `?${params}` : '';
    return `${baseUrl}/v1${path}${search}`;
  }

  protected async fetch(
    path: string,
    request: BackendRequest = {},
  ): Promise<Response> {
    const url = await this.url(path, request.query);
    const init = requestInit(request);
    const response = await (init
      ? this.fetchApi.fetch(url, init)
      : this.fetchApi.fetch(url));
    if (response.ok || (await accepted(response, request))) {
      return response;
    }
    throw await ResponseError.fromResponse(response);
  }

  protected async json<T>(path: string, request?: BackendRequest): Promise<T> {
    const response = await this.fetch(path, request);
    return (await response.json()) as T;
  }
}

/**
 * `/entities/:namespace/:kind/:name/<subPath>`, cased like the catalog's own entity routes:
 * kind and namespace lowercased.
 */
export function entityPath(entity: CompoundEntityRef, subPath: string): string {
  const segments = [
    entity.namespace.toLocaleLowerCase('en-US'),
    entity.kind.toLocaleLowerCase('en-US'),
    entity.name,
  ].map(encodeURIComponent);
  return `/entities/${segments.join('/')}/${subPath}`;
}

function requestInit(request: BackendRequest): RequestInit | undefined {
  if (!request.method) return undefined;
  const hasBody = request.body !== undefined;
  const headers = {
    ...(hasBody ? { 'Content-Type': 'application/json' } : {}),
    ...request.headers,
  };
  return {
    method: request.method,
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
  };
}

async function accepted(
  response: Response,
  request: BackendRequest,
): Promise<boolean> {
  if (!request.acceptFailure) return false;
  // A copy is read, so the ResponseError can still read the original.
  const text = await response.clone().text();
  try {
    return request.acceptFailure(response.status, JSON.parse(text));
  } catch {
    return false;
  }
}
