import { NotFoundError } from '@backstage/errors';
import { readEntityData } from '../access/entityGate';
import { asJson, BackstageActionsOptions, scrubbed } from './context';
import { entityRefField, runSchema } from './remediationSchemas';

/**
 * `vastai-incident:remediation-status`: one run of an entity, as the run route answers it. Who
 * may not read the entity gets the answer of an unknown run (and the refusal is on record).
 */
export function registerRemediationStatusAction(
  options: BackstageActionsOptions,
) {
  const { registry, gate, actions, redact } = options;
  registry.register({
    name: 'remediation-status',
    title: 'Follow a Vast.ai remediation run',
    description: `The current state of one remediation run of an entity (from vastai-incident:run-remediation): its status (running, succeeded, unverified, failed, rejected, awaiting-approval ...), phase, reason and verification evidence. Needs vastai.incident.read on the entity.`,
    attributes: { readOnly: true, destructive: false, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          runId: z.string().uuid().describe('The runId of the run'),
        }),
      output: z => z.object({ run: runSchema(z) }),
    },
    action: async ({ input, credentials }) =>
      scrubbed(redact, async () => {
        const subject = gate.callerSubject(credentials, input.entityRef);
        const noRun = new NotFoundError(
          `No run ${input.runId} on ${subject.entityRef}`,
        );
        await gate.requireVisible(subject, readEntityData, noRun);
        await gate.requireBinding(subject);
        const run = await actions.getRun(subject.entityRef, input.runId);
        if (!run) throw noRun;
        return { output: { run: asJson(run) } };
      }),
  });
}
