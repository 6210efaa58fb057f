import { NotAllowedError } from '@backstage/errors';
import type { ActionRun } from '@vastai-incident/backstage-plugin-common';
import type { ActionsService } from '../actions';
import { asJson, BackstageActionsOptions, scrubbed } from './context';
import {
  actionIdField,
  derivedIdempotencyKey,
  DERIVED_KEY_WINDOW_MS,
  entityRefField,
  IDEMPOTENCY_KEY_PATTERN,
  runSchema,
} from './remediationSchemas';

/** Longest wait for a run to end within one call: MCP clients give up on a call after 60 s. */
export const MAX_WAIT_SECONDS = 50;
const DEFAULT_WAIT_SECONDS = 40;
const POLL_MS = 1000;

/** States a run leaves without anyone doing anything more. */
const IN_PROGRESS: ReadonlySet<string> = new Set(['running']);

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** The run as it stands once it ended or the wait is over (read from the store: any replica). */
async function settled(
  actions: ActionsService,
  run: ActionRun,
  waitMs: number,
): Promise<ActionRun> {
  const until = Date.now() + waitMs;
  let current = run;
  while (IN_PROGRESS.has(current.status) && Date.now() + POLL_MS <= until) {
    await sleep(POLL_MS);
    current = (await actions.getRun(run.entityRef, run.runId)) ?? current;
  }
  return current;
}

function nextStep(run: ActionRun): string {
  switch (run.status) {
    case 'running':
      return `Still rolling out or verifying: call vastai-incident:remediation-status with this runId (or this action again with the same idempotencyKey, which does nothing twice) to follow it.`;
    case 'awaiting-approval':
      return 'Nothing was changed: a second person with the same permission must approve this key rotation in the portal.';
    case 'succeeded':
      return 'Applied, rolled out and verified: the signal that called for it recovered.';
    case 'unverified':
      return 'Applied and rolled out, but the signal that called for it has not recovered within the deadline: triage again.';
    default:
      return run.reason ?? `The run ended ${run.status}.`;
  }
}

/**
 * `vastai-incident:run-remediation`: the route's path, not a shortcut: the service's own
 * permission check (audited on refusal) through the entity gate, then the service's run, which
 * dry-runs, locks the deployment, applies, verifies and records. Key rotation is refused unless
 * `vastaiIncident.mcp.allowKeyRotation` is set, and a pasted key is never accepted here: a key
 * must never pass through an assistant.
 */
export function registerRunRemediationAction(options: BackstageActionsOptions) {
  const { registry, gate, actions, redact, auditor, settings } = options;
  registry.register({
    name: 'run-remediation',
    title: 'Run a Vast.ai remediation',
    description: `Changes production: applies a remediation to the Kubernetes deployment of an entity's Vast.ai integration, then waits (up to waitSeconds) for its rollout and for the signal that called for it to recover.
The same path as the portal's buttons: permission check (vastai.remediation.execute on the entity; vastai.secret.rotate for rotate-api-key), server-side dry run, one run per deployment at a time, cooldown, apply, verify, audit row. Run vastai-incident:triage first and pick one of its recommended actions; vastai-incident:dry-run-remediation shows the change beforehand.
idempotencyKey: send the same key to retry the same request without acting twice (the answer is the first run); without one, the same request by the same user within ${
      DERIVED_KEY_WINDOW_MS / 1000
    } s counts as a retry. rotate-api-key is refused unless the portal's configuration allows it to assistants.`,
    attributes: { readOnly: false, destructive: true, idempotent: false },
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          actionId: actionIdField(z),
          idempotencyKey: z
            .string()
            .min(1)
            .max(200)
            .regex(
              IDEMPOTENCY_KEY_PATTERN,
              'letters, digits, ".", "_", ":" or "-" only',
            )
            .optional()
            .describe(
              'A key for this request; a retry with the same key replays the run instead of acting again',
            ),
          waitSeconds: z
            .number()
            .int()
            .min(0)
            .max(MAX_WAIT_SECONDS)
            .optional()
            .describe(
              `How long to wait for the run to be verified before answering (default ${DEFAULT_WAIT_SECONDS})`,
            ),
        }),
      output: z =>
        z.object({
          run: runSchema(z),
          finished: z
            .boolean()
            .describe('false while the run is still rolling out or verifying'),
          idempotencyKey: z.string(),
          next: z
            .string()
            .describe('what the outcome means, and what to do next'),
        }),
    },
    action: async ({ input, credentials }) =>
      scrubbed(redact, async () => {
        const { entityRef } = gate.callerSubject(credentials, input.entityRef);
        if (input.actionId === 'rotate-api-key' && !settings.allowKeyRotation) {
          const error = new NotAllowedError(
            'rotate-api-key is not available to assistants here (vastaiIncident.mcp.allowKeyRotation is off); rotate the key in the portal',
          );
          const principal = credentials.principal as { userEntityRef?: string };
          const event = await auditor.createEvent({
            eventId: 'rotate-api-key',
            severityLevel: 'high',
            meta: {
              entityRef,
              actionId: input.actionId,
              dryRun: false,
              actor: principal.userEntityRef ?? 'unknown',
              via: 'backstage-action',
            },
          });
          await event.fail({ error });
          throw error;
        }
        const request = {
          actionId: input.actionId,
          dryRun: false,
          idempotencyKey:
            input.idempotencyKey ??
            derivedIdempotencyKey(credentials, entityRef, input.actionId),
        };
        // The service's own check audits a refusal; it decides before any target is read.
        const access = await gate.forCaller(credentials, entityRef, subject =>
          actions.authorize({ ...subject, ...request }),
        );
        const { run } = await actions.run({ ...access, ...request });
        const waitSeconds = input.waitSeconds ?? DEFAULT_WAIT_SECONDS;
        const final = await settled(actions, run, waitSeconds * 1000);
        return {
          output: {
            run: asJson(final),
            finished:
              !IN_PROGRESS.has(final.status) &&
              final.status !== 'awaiting-approval',
            idempotencyKey: request.idempotencyKey,
            next: nextStep(final),
          },
        };
      }),
  });
}
