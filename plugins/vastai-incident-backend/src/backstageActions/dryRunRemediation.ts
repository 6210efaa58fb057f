import { asJson, BackstageActionsOptions, scrubbed } from './context';
import { actionIdField, entityRefField, runSchema } from './remediationSchemas';

/**
 * `vastai-incident:dry-run-remediation`: the server-side dry run of a remediation and its diff,
 * secrets masked, through the same service call as the route with `dryRun: true` (the same
 * permission check, audit row and auditor event; nothing is written).
 */
export function registerDryRunRemediationAction(
  options: BackstageActionsOptions,
) {
  const { registry, gate, actions, redact } = options;
  registry.register({
    name: 'dry-run-remediation',
    title: 'Dry-run a Vast.ai remediation',
    description: `Shows what a remediation would change on the Kubernetes deployment of an entity's Vast.ai integration, without changing anything: the Kubernetes API server validates the change as a server-side dry run and the answer lists the diff (secret values masked).
Needs vastai.remediation.execute on the entity (vastai.secret.rotate for rotate-api-key). The dry run is recorded in the entity's action history.`,
    attributes: { readOnly: true, destructive: false, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          actionId: actionIdField(z),
        }),
      output: z => z.object({ run: runSchema(z) }),
    },
    action: async ({ input, credentials }) =>
      scrubbed(redact, async () => {
        const request = { actionId: input.actionId, dryRun: true };
        // The service's own check audits a refusal; it decides before any target is read.
        const access = await gate.forCaller(
          credentials,
          input.entityRef,
          subject => actions.authorize({ ...subject, ...request }),
        );
        const { run } = await actions.run({ ...access, ...request });
        return { output: { run: asJson(run) } };
      }),
  });
}
