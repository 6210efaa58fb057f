import type { ActionPhase, ActionRun } from '../../api/RemediationClient';

/** The steps of an apply, in order, as people read them. */
export const APPLY_STEPS: Array<{ phase: ActionPhase; label: string }> = [
  { phase: 'applying', label: 'Apply the change' },
  { phase: 'rolling-out', label: 'Roll out the deployment' },
  { phase: 'verifying', label: 'Verify that the signal recovers' },
];

export type OutcomeTone = 'ok' | 'warning' | 'error' | 'pending';

/** The headline of a run's state; the tone only adds colour to words that already say it. */
export function outcomeOf(run: ActionRun): {
  tone: OutcomeTone;
  headline: string;
} {
  switch (run.status) {
    case 'succeeded':
      return { tone: 'ok', headline: 'Succeeded: applied and verified' };
    case 'unverified':
      return {
        tone: 'warning',
        headline: 'Applied, but NOT verified: check the signals',
      };
    case 'failed':
      return {
        tone: 'error',
        headline:
          run.code === 'conflict'
            ? 'Failed: the Secret changed underneath (409 Conflict)'
            : 'Failed',
      };
    case 'rejected':
      if (run.code === 'busy') {
        return {
          tone: 'error',
          headline:
            'Not started: another run of this action is in progress on this entity (409)',
        };
      }
      if (run.code === 'cooldown') {
        return {
          tone: 'error',
          headline: 'Not started: this action is cooling down (409)',
        };
      }
      return { tone: 'error', headline: 'Not started (rejected)' };
    case 'awaiting-approval':
      return {
        tone: 'pending',
        headline: "Waiting for a second person's approval",
      };
    case 'dry-run':
      return { tone: 'pending', headline: 'Dry run only: nothing was changed' };
    default:
      return { tone: 'pending', headline: 'In progress' };
  }
}

/** The words of one audit outcome in the history table. */
export function historyOutcomeLabel(outcome: string, dryRun: boolean): string {
  const labels: Record<string, string> = {
    succeeded: 'Succeeded',
    unverified: 'Not verified',
    failed: 'Failed',
    rejected: 'Rejected',
    denied: 'Denied (no permission)',
    'dry-run': 'Dry run',
    'awaiting-approval': 'Awaiting approval',
  };
  const label = labels[outcome] ?? outcome;
  return dryRun && outcome !== 'dry-run' ? `${label} (dry run)` : label;
}
