import type { Knex } from 'knex';
import type { AuditRowInput } from '../actions/store';
import { redactText } from '../redact';
import { recordTimelineEvent } from './store';

/** Outcomes worth a line on an incident's timeline: what changed the world, or failed to. */
const TIMELINE_OUTCOMES = new Set([
  'succeeded',
  'unverified',
  'failed',
  'rejected',
  'denied',
  'interrupted',
]);

/**
 * The actions module's `onAudit` hook: writes the action's outcome on the open incident's
 * timeline in the audit row's own transaction, so the two are written both or neither. Dry runs
 * stay in the audit log only.
 */
export function incidentTimelineAuditHook(
  redact: (text: string) => string = redactText,
) {
  // No "name: value" shape in the summary: the redactor would take `rotate-api-key: x` for a secret.
  return async (trx: Knex.Transaction, row: AuditRowInput): Promise<void> => {
    if (row.dryRun || !TIMELINE_OUTCOMES.has(row.outcome)) return;
    await recordTimelineEvent(trx, {
      entityRef: row.entityRef,
      kind: 'action',
      actor: row.actor,
      at: row.finishedAt,
      summary: redact(
        `Action ${row.actionId} ${row.outcome}${
          row.reason ? ` (${row.reason.slice(0, 300)})` : ''
        }`,
      ),
      detail: {
        actionId: row.actionId,
        outcome: row.outcome,
        runId: row.runId,
        durationMs: Math.max(0, row.finishedAt - row.startedAt),
      },
    });
  };
}
