import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  type ActionHistory,
  type ActionId,
  type ActionRun,
} from '@vastai-incident/backstage-plugin-common';
import { pluginApiRef } from './pluginApiRef';

/**
 * The remediations of one entity (`/v1/entities/:namespace/:kind/:name/actions/...`).
 * A pasted key is sent in the body once and never kept.
 */
export interface RemediationApi {
  /** The server-side dry run: the readable diff, secrets masked. Nothing is written. */
  dryRun(
    entity: CompoundEntityRef,
    actionId: ActionId,
    options?: { newApiKey?: string },
  ): Promise<ActionRun>;
  /**
   * Applies an action. Answers the run (202 while it rolls out and verifies). A 409 that
   * carries a run (busy, cooldown, Secret conflict) is answered as that run, not thrown.
   */
  apply(
    entity: CompoundEntityRef,
    actionId: ActionId,
    options: { idempotencyKey: string; newApiKey?: string },
  ): Promise<ActionRun>;
  getRun(entity: CompoundEntityRef, runId: string): Promise<ActionRun>;
  /** A second person's approval of a key rotation (when config requires it). */
  approve(
    entity: CompoundEntityRef,
    runId: string,
    options?: { newApiKey?: string },
  ): Promise<ActionRun>;
  getHistory(
    entity: CompoundEntityRef,
    options?: { limit?: number },
  ): Promise<ActionHistory>;
}

export const remediationApiRef = pluginApiRef<RemediationApi>('remediation');
