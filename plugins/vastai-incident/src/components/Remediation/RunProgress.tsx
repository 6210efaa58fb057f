import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import type { ActionRun } from '@vastai-incident/backstage-plugin-common';
import { APPLY_STEPS, outcomeOf } from './labels';
import { isFinalRun } from './runs';

function stepState(
  run: ActionRun,
  index: number,
): 'done' | 'in progress' | 'waiting' | 'skipped' {
  if (run.status === 'rejected' || run.status === 'awaiting-approval')
    return 'waiting';
  const current = APPLY_STEPS.findIndex(step => step.phase === run.phase);
  if (run.phase === 'done' || run.phase === 'restoring') {
    // A run that ended: its steps up to verification happened (unless it failed early).
    if (run.status === 'failed' && !run.verification) {
      return index === 0 ? 'done' : 'skipped';
    }
    return 'done';
  }
  if (current === -1) return index === 0 ? 'in progress' : 'waiting';
  if (index < current) return 'done';
  return index === current ? 'in progress' : 'waiting';
}

function OutcomeStatus(props: { run: ActionRun }) {
  const { tone, headline } = outcomeOf(props.run);
  const text = <strong>{headline}</strong>;
  if (tone === 'ok') return <StatusOK>{text}</StatusOK>;
  if (tone === 'warning') return <StatusWarning>{text}</StatusWarning>;
  if (tone === 'error') return <StatusError>{text}</StatusError>;
  return <StatusPending>{text}</StatusPending>;
}

/** Live progress of apply and verify, then the outcome in words. */
export function RunProgress(props: { run: ActionRun; pollError?: string }) {
  const { run } = props;
  const final = isFinalRun(run);
  return (
    <Box data-testid="vastai-remediation-progress">
      {!final && run.status === 'running' && (
        <LinearProgress aria-label="Action in progress" />
      )}
      <ol aria-label="Progress" style={{ paddingLeft: 20 }}>
        {APPLY_STEPS.map((step, index) => (
          <li key={step.phase} data-phase={step.phase}>
            <Typography variant="body2">
              {step.label}: <strong>{stepState(run, index)}</strong>
            </Typography>
          </li>
        ))}
        {run.phase === 'restoring' && (
          <li>
            <Typography variant="body2">
              Verification failed: <strong>putting the old value back</strong>
            </Typography>
          </li>
        )}
      </ol>
      <Box
        role="status"
        aria-live="polite"
        data-testid="vastai-remediation-outcome"
        data-status={run.status}
      >
        <OutcomeStatus run={run} />
        {run.reason && (
          <Typography variant="body2" style={{ marginTop: 8 }}>
            {final ? 'Reason' : 'Note'}: {run.reason}
          </Typography>
        )}
      </Box>
      {props.pollError && (
        <Typography variant="body2" role="alert" style={{ marginTop: 8 }}>
          Lost contact while following the run ({props.pollError}); still
          trying. The action continues on the server either way.
        </Typography>
      )}
    </Box>
  );
}
