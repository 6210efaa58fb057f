import { readEntityData } from '../access/entityGate';
import { buildTriageReport } from '../signals';
import {
  asJson,
  BackstageActionsOptions,
  ENTITY_REF_DESCRIPTION,
  scrubbed,
} from './context';

/**
 * `vastai-incident:triage`: the triage report of an entity, as the triage route serves it
 * (the read permission on the entity, its integration bound to it, the same probes and tree).
 */
export function registerTriageAction(options: BackstageActionsOptions) {
  const { registry, gate, signals, redact, logger } = options;
  registry.register({
    name: 'triage',
    title: 'Triage a Vast.ai integration',
    description: `Runs the Vast.ai incident runbook's triage for one catalog entity: reads the vendor status page, the vendor API, the integration's health endpoint, its Prometheus metrics and its Kubernetes pods, then walks the runbook's decision tree.
Answers the severity (P1-P4, or null when healthy), the branch (vendor-incident: Vast.ai itself is down; our-integration: our use of Vast.ai is failing, e.g. auth or rate limits; our-infrastructure: our pods or network; resolved-or-intermittent; healthy), the verdict in one sentence, the decision path with the evidence behind each step, the recommended remediation actions and every signal with its state and age.
Needs the vastai.incident.read permission on the entity.`,
    attributes: { readOnly: true, destructive: false, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .min(3)
            .max(255)
            .describe(ENTITY_REF_DESCRIPTION),
        }),
      output: z =>
        z
          .object({
            entityRef: z.string(),
            integration: z.string(),
            severity: z
              .enum(['P1', 'P2', 'P3', 'P4'])
              .nullable()
              .describe('null when healthy'),
            branch: z.string().describe('the leaf of the decision tree'),
            verdict: z.string(),
            path: z
              .array(
                z
                  .object({
                    question: z.string(),
                    answer: z.string(),
                    evidence: z.string(),
                  })
                  .passthrough(),
              )
              .describe('the decisions from the root to the leaf'),
            reasons: z.array(z.string()),
            actions: z
              .array(z.object({ id: z.string(), reason: z.string() }))
              .describe('recommended remediations, by action id'),
            signals: z.array(
              z.object({ source: z.string(), state: z.string() }).passthrough(),
            ),
            generatedAt: z.string(),
          })
          .passthrough(),
    },
    action: async ({ input, credentials }) =>
      scrubbed(redact, async () => {
        const { entityRef, integration } = await gate.forCaller(
          credentials,
          input.entityRef,
          readEntityData,
        );
        const report = await buildTriageReport(signals, entityRef, integration);
        if (options.onTriage) {
          try {
            await options.onTriage(report);
          } catch (error) {
            logger.warn(`recording the triage outcome failed: ${error}`);
          }
        }
        return { output: asJson(report) };
      }),
  });
}
