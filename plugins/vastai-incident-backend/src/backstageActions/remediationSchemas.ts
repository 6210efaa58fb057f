import { createHash } from 'node:crypto';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ACTION_IDS, ActionId } from '@vastai-incident/backstage-plugin-common';
import { ENTITY_REF_DESCRIPTION, Zod } from './context';

/** What each remediation does, in the words an assistant picks one by. */
export const ACTION_ID_DESCRIPTION = `The remediation: ${ACTION_IDS.join(
  ', ',
)}. enable-fallback / disable-fallback switch the service's fallback path (degraded but up) on or off; queue-mode / direct-mode switch how it calls Vast.ai (queue-mode ends a 429 storm); rollout-restart restarts its pods; rotate-api-key replaces its Vast.ai API key (Secret) and restarts it.`;

export const entityRefField = (z: Zod) =>
  z.string().min(3).max(255).describe(ENTITY_REF_DESCRIPTION);

export const actionIdField = (z: Zod) =>
  z.enum(ACTION_IDS).describe(ACTION_ID_DESCRIPTION);

/** The Idempotency-Key header's rule, for a key given as input. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** One run as the actions routes answer it: the wire `ActionRun`. */
export const runSchema = (z: Zod) =>
  z
    .object({
      runId: z.string(),
      entityRef: z.string(),
      actionId: z.string(),
      dryRun: z.boolean(),
      actor: z.string(),
      status: z
        .string()
        .describe(
          'dry-run, rejected, awaiting-approval, running, succeeded, unverified, failed or interrupted',
        ),
      phase: z.string(),
      reason: z.string().optional(),
      diff: z.array(z.object({ path: z.string() }).passthrough()),
    })
    .passthrough();

/** How long a derived idempotency key stays the same: a retry within it replays the run. */
export const DERIVED_KEY_WINDOW_MS = 60_000;

/**
 * A key for a caller that sent none: the same user asking for the same action on the same entity
 * within one window gets the same key, so an assistant's retry replays the run rather than acting
 * twice. A digest, so the key names nobody; short enough that no redactor takes it for a secret.
 */
export function derivedIdempotencyKey(
  credentials: BackstageCredentials,
  entityRef: string,
  actionId: ActionId,
  now = Date.now(),
): string {
  const principal = credentials.principal as { userEntityRef?: string };
  const window = Math.floor(now / DERIVED_KEY_WINDOW_MS);
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        principal.userEntityRef ?? '',
        entityRef,
        actionId,
        window,
      ]),
    )
    .digest('hex')
    .slice(0, 24);
  return `mcp-${digest}`;
}
