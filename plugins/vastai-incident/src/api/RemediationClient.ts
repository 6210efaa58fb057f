import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  type ActionHistory,
  type ActionId,
  type ActionRun,
} from '@vastai-incident/backstage-plugin-common';
import {
  BackendRequest,
  entityPath,
  PluginBackendClient,
} from './PluginBackendClient';
import { RemediationApi } from './RemediationApi';

/** Talks to `/api/vastai-incident/v1/entities/:namespace/:kind/:name/actions/...`. */
export class RemediationClient
  extends PluginBackendClient
  implements RemediationApi
{
  dryRun(
    entity: CompoundEntityRef,
    actionId: ActionId,
    options?: { newApiKey?: string },
  ): Promise<ActionRun> {
    return this.run(entity, encodeURIComponent(actionId), {
      method: 'POST',
      body: { dryRun: true, ...optionalKey(options?.newApiKey) },
    });
  }

  apply(
    entity: CompoundEntityRef,
    actionId: ActionId,
    options: { idempotencyKey: string; newApiKey?: string },
  ): Promise<ActionRun> {
    return this.run(entity, encodeURIComponent(actionId), {
      method: 'POST',
      body: { dryRun: false, ...optionalKey(options.newApiKey) },
      headers: { 'Idempotency-Key': options.idempotencyKey },
    });
  }

  getRun(entity: CompoundEntityRef, runId: string): Promise<ActionRun> {
    return this.run(entity, `runs/${encodeURIComponent(runId)}`);
  }

  approve(
    entity: CompoundEntityRef,
    runId: string,
    options?: { newApiKey?: string },
  ): Promise<ActionRun> {
    return this.run(entity, `runs/${encodeURIComponent(runId)}/approve`, {
      method: 'POST',
      body: { ...optionalKey(options?.newApiKey) },
    });
  }

  getHistory(
    entity: CompoundEntityRef,
    options?: { limit?: number },
  ): Promise<ActionHistory> {
    return this.json(entityPath(entity, 'actions/history'), {
      query: { limit: options?.limit },
    });
  }

  /** A run, also when a 409 carries one (busy, cooldown, Secret conflict). */
  private run(
    entity: CompoundEntityRef,
    subPath: string,
    request: BackendRequest = {},
  ): Promise<ActionRun> {
    return this.json(entityPath(entity, `actions/${subPath}`), {
      ...request,
      acceptFailure: (status, body) =>
        status === 409 && !!body && typeof body === 'object' && 'runId' in body,
    });
  }
}

function optionalKey(newApiKey: string | undefined) {
  return newApiKey ? { newApiKey } : {};
}
