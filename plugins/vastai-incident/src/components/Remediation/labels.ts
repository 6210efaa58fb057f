import type {
  ActionPhase,
  ActionRun,
  ActionRunStatus,
} from '@vastai-incident/backstage-plugin-common';

/** The steps of an apply, in order, as people read them. */
export const APPLY_STEPS: Array<{ phase: ActionPhase; label: string }> = [
  { phase: 'applying', label: 'Apply the change' },
  { phase: 'rolling-out', label: 'Roll out the deployment' },
  { phase: 'verifying', label: 'Verify that the signal recovers' },
];

export type OutcomeTone = 'ok' | 'warning' | 'error' | 'pending';

export interface Outcome {
  tone: OutcomeTone;
  headline: string;
}

/** The outcomes said the same whatever the run's code. */
const OUTCOMES: Partial<Record<ActionRunStatus, Outcome>> = {
  succeeded: { tone: 'ok', headline: 'Succeeded: applied and verified' },
  unverified: {
    tone: 'warning',
    headline: 'Applied, but NOT verified: check the signals',
  },
  'awaiting-approval': {
    tone: 'pending',
    headline: "Waiting for a second person's approval",
  },
  'dry-run': { tone: 'pending', headline: 'Dry run only: nothing was changed' },
  interrupted: {
    tone: 'error',
    headline:
      'Interrupted: the backend running it stopped; see the steps done and what to clean up',
  },
};

/** Why a run did not start, by its code. */
const REJECTIONS = new Map<string | undefined, string>([
  [
    'busy',
    'Not started: another run of this action is in progress on this entity (409)',
  ],
  ['cooldown', 'Not started: this action is cooling down (409)'],
  [
    'approval-expired',
    'Not started: no second person approved it in time (approval expired)',
  ],
]);

/** The headline of a run's state; the tone only adds colour to words that already say it. */
export function outcomeOf(run: ActionRun): Outcome {
  if (run.status === 'failed') {
    const conflict = run.code === 'conflict';
    return {
      tone: 'error',
      headline: conflict
        ? 'Failed: the Secret changed underneath (409 Conflict)'
        : 'Failed',
    };
  }
  if (run.status === 'rejected') {
    const headline = REJECTIONS.get(run.code) ?? 'Not started (rejected)';
    return { tone: 'error', headline };
  }
  return OUTCOMES[run.status] ?? { tone: 'pending', headline: 'In progress' };
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
    interrupted: 'Interrupted (backend stopped)',
  };
  const label = labels[outcome] ?? outcome;
  return dryRun && outcome !== 'dry-run' ? `${label} (dry run)` : label;
}
