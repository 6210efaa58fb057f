import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
  type DiscoveryApi,
  type FetchApi,
} from '@backstage/frontend-plugin-api';
import {
  ActionId,
  VASTAI_INCIDENT_PLUGIN_ID,
  type ActionAuditEntry,
  type ActionDiffLine,
  type ActionHistory,
  type ActionPhase,
  type ActionRun,
  type ActionRunStatus,
  type ActionVerification,
} from '@internal/plugin-vastai-incident-common';
import { useMemo } from 'react';

// The wire shapes of the actions routes, shared with the backend.
export type {
  ActionAuditEntry,
  ActionDiffLine,
  ActionHistory,
  ActionPhase,
  ActionRun,
  ActionRunStatus,
  ActionVerification,
};

/** States after which a run changes no more. */
export const FINAL_RUN_STATUSES: ReadonlyArray<ActionRunStatus> = [
  'dry-run',
  'rejected',
  'succeeded',
  'unverified',
  'failed',
];

export function isFinalRun(run: ActionRun): boolean {
  return FINAL_RUN_STATUSES.includes(run.status);
}

/** A fresh Idempotency-Key: one per confirmation, reused by its retries. */
export function newIdempotencyKey(): string {
  const cryptoApi = globalThis.crypto;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  const bytes = new Uint8Array(16);
  cryptoApi.getRandomValues(bytes);
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Talks to `/api/vastai-incident/v1/entities/:namespace/:kind/:name/actions/...`.
 * A pasted key is sent in the body once and never kept by this client.
 */
export class RemediationClient {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  /** The server-side dry run: the readable diff, secrets masked. Nothing is written. */
  dryRun(
    entity: CompoundEntityRef,
    actionId: ActionId,
    options?: { newApiKey?: string },
  ): Promise<ActionRun> {
    return this.request(entity, encodeURIComponent(actionId), {
      method: 'POST',
      body: { dryRun: true, ...optionalKey(options?.newApiKey) },
    });
  }

  /**
   * Applies an action. Answers the run (202 while it rolls out and verifies). A 409 that
   * carries a run (busy, cooldown, Secret conflict) is answered as that run, not thrown.
   */
  apply(
    entity: CompoundEntityRef,
    actionId: ActionId,
    options: { idempotencyKey: string; newApiKey?: string },
  ): Promise<ActionRun> {
    return this.request(entity, encodeURIComponent(actionId), {
      method: 'POST',
      body: { dryRun: false, ...optionalKey(options.newApiKey) },
      headers: { 'Idempotency-Key': options.idempotencyKey },
    });
  }

  getRun(entity: CompoundEntityRef, runId: string): Promise<ActionRun> {
    return this.request(entity, `runs/${encodeURIComponent(runId)}`);
  }

  /** A second person's approval of a key rotation (when config requires it). */
  approve(
    entity: CompoundEntityRef,
    runId: string,
    options?: { newApiKey?: string },
  ): Promise<ActionRun> {
    return this.request(entity, `runs/${encodeURIComponent(runId)}/approve`, {
      method: 'POST',
      body: { ...optionalKey(options?.newApiKey) },
    });
  }

  getHistory(
    entity: CompoundEntityRef,
    options?: { limit?: number },
  ): Promise<ActionHistory> {
    const query = options?.limit !== undefined ? `?limit=${options.limit}` : '';
    return this.request(entity, `history${query}`);
  }

  private async request<T>(
    entity: CompoundEntityRef,
    subPath: string,
    init?: {
      method: 'POST';
      body: Record<string, unknown>;
      headers?: Record<string, string>;
    },
  ): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl(
      VASTAI_INCIDENT_PLUGIN_ID,
    );
    const entityPath = [
      entity.namespace.toLocaleLowerCase('en-US'),
      entity.kind.toLocaleLowerCase('en-US'),
      entity.name,
    ]
      .map(encodeURIComponent)
      .join('/');
    const url = `${baseUrl}/v1/entities/${entityPath}/actions/${subPath}`;
    const response = await this.fetchApi.fetch(
      url,
      init
        ? {
            method: init.method,
            headers: { 'Content-Type': 'application/json', ...init.headers },
            body: JSON.stringify(init.body),
          }
        : undefined,
    );
    if (response.ok) return (await response.json()) as T;
    // Read the body once: a 409 may carry the run (busy, cooldown, conflict) or an error.
    const text = await response.text();
    if (response.status === 409) {
      const run = parseJson(text);
      if (run && typeof run === 'object' && 'runId' in run) return run as T;
    }
    throw await ResponseError.fromResponse({
      ok: response.ok,
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      redirected: response.redirected,
      type: response.type,
      url: response.url,
      text: async () => text,
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function optionalKey(newApiKey: string | undefined) {
  return newApiKey ? { newApiKey } : {};
}

/** The client for the app's discovery and fetch APIs: no API registration needed. */
export function useRemediationClient(): RemediationClient {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  return useMemo(
    () => new RemediationClient({ discoveryApi, fetchApi }),
    [discoveryApi, fetchApi],
  );
}
