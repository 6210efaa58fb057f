import { CompoundEntityRef } from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import { ActionId, ActionRun } from '@vastai-incident/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useEffect, useRef, useState } from 'react';
import { useRemediationApi } from '../../hooks/useRemediation';
import { actionLabel } from '../common/format';
import { DescribedError, describeError } from './describeError';
import { DiffTable } from './DiffTable';
import { isFinalRun, newIdempotencyKey } from './runs';
import { RunProgress } from './RunProgress';

export interface RemediationDialogProps {
  entity: CompoundEntityRef;
  actionId: ActionId;
  open: boolean;
  onClose: () => void;
  /** Every new state of the applied run (the panel shows it when the dialog is closed). */
  onRunChange?: (run: ActionRun) => void;
  pollIntervalMs: number;
}

/** The deployment a rotation restarts, as the dry run names it (`Deployment ns/name`). */
export function deploymentNameOf(plan: ActionRun): string {
  const line = plan.diff?.find(l => l.object.startsWith('Deployment '));
  const qualified = line?.object.slice('Deployment '.length).trim();
  return qualified ? qualified.split('/').pop()! : plan.integration;
}

/** The inputs of this dialog take names and keys, not words: no spell check. */
function inputProps(testId: string, autoComplete: string) {
  return { 'data-testid': testId, autoComplete, spellCheck: false };
}

function ErrorBlock(props: { error: DescribedError; testId: string }) {
  return (
    <Box role="alert" data-testid={props.testId} mt={2}>
      <Typography variant="subtitle2">{props.error.title}</Typography>
      <Typography variant="body2">{props.error.message}</Typography>
    </Box>
  );
}

/**
 * One remediation from dry run to outcome: the server's dry run and its diff, the confirmation
 * (typed for a key rotation), apply with one Idempotency-Key kept across retries, live progress.
 */
export function RemediationDialog(props: RemediationDialogProps) {
  const { entity, actionId, onRunChange, pollIntervalMs } = props;
  const api = useRemediationApi();
  const rotation = actionId === 'rotate-api-key';
  const [plan, setPlan] = useState<ActionRun>();
  const [planError, setPlanError] = useState<DescribedError>();
  const [typedName, setTypedName] = useState('');
  // Write-only: held only until it is sent, never rendered back nor kept after sending.
  const [pastedKey, setPastedKey] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [applyError, setApplyError] = useState<DescribedError>();
  const [run, setRun] = useState<ActionRun>();
  const [pollError, setPollError] = useState<string>();
  // One key per confirmation of this dialog: a retry after a 5xx or lost answer replays it.
  const idempotencyKey = useRef(newIdempotencyKey());

  useEffect(() => {
    let cancelled = false;
    api.dryRun(entity, actionId).then(
      result => !cancelled && setPlan(result),
      error => !cancelled && setPlanError(describeError(error)),
    );
    return () => {
      cancelled = true;
    };
    // The dry run is made once, when the dialog opens for this action.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    if (run) onRunChange?.(run);
  }, [run, onRunChange]);

  useEffect(() => {
    if (!run || isFinalRun(run)) return undefined;
    const timer = setTimeout(() => {
      api.getRun(entity, run.runId).then(
        next => {
          setPollError(undefined);
          setRun(next);
        },
        error => {
          setPollError(describeError(error).title);
          // Poll again on the next tick with a fresh object.
          setRun(current => (current ? { ...current } : current));
        },
      );
    }, pollIntervalMs);
    return () => clearTimeout(timer);
  }, [api, entity, run, pollIntervalMs]);

  const deploymentName = plan ? deploymentNameOf(plan) : '';
  const planUsable = !!plan && plan.status !== 'failed';
  const typedOk = !rotation || typedName.trim() === deploymentName;
  const canConfirm = planUsable && typedOk && !submitting && !run;

  const confirm = async () => {
    setSubmitting(true);
    setApplyError(undefined);
    try {
      const result = await api.apply(entity, actionId, {
        idempotencyKey: idempotencyKey.current,
        newApiKey: rotation && pastedKey ? pastedKey : undefined,
      });
      setPastedKey('');
      setRun(result);
    } catch (error) {
      const described = describeError(error);
      if (!described.retryable) setPastedKey('');
      setApplyError(described);
    } finally {
      setSubmitting(false);
    }
  };

  let confirmLabel = 'Confirm and apply';
  if (submitting) confirmLabel = 'Applying…';
  else if (applyError?.retryable) confirmLabel = 'Try again';

  const titleId = `vastai-remediation-title-${actionId}`;
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      aria-labelledby={titleId}
      maxWidth="md"
      fullWidth
      data-testid="vastai-remediation-dialog"
    >
      <DialogTitle id={titleId}>{actionLabel(actionId)}</DialogTitle>
      <DialogContent>
        {!plan && !planError && <Progress aria-label="Dry run in progress" />}
        {planError && (
          <ErrorBlock
            error={planError}
            testId="vastai-remediation-plan-error"
          />
        )}
        {plan && !run && (
          <>
            <Typography variant="subtitle2" component="h3">
              Dry run on the server
            </Typography>
            {plan.status === 'failed' ? (
              <ErrorBlock
                error={{
                  title: 'The dry run failed: nothing can be applied',
                  message: plan.reason ?? 'no reason given',
                  retryable: false,
                }}
                testId="vastai-remediation-plan-error"
              />
            ) : (
              <>
                <DiffTable diff={plan.diff} />
                {plan.reason && (
                  <Typography variant="body2" style={{ marginTop: 8 }}>
                    {plan.reason}
                  </Typography>
                )}
              </>
            )}
            {rotation && planUsable && (
              <Box
                mt={2}
                display="flex"
                flexDirection="column"
                style={{ gap: 16 }}
              >
                <TextField
                  id="vastai-remediation-typed-name"
                  label={`Type the deployment name "${deploymentName}" to confirm`}
                  value={typedName}
                  onChange={e => setTypedName(e.target.value)}
                  inputProps={inputProps(
                    'vastai-remediation-typed-name',
                    'off',
                  )}
                  helperText={
                    typedName && !typedOk
                      ? 'Does not match the deployment name yet'
                      : 'The rotation restarts this deployment'
                  }
                  error={!!typedName && !typedOk}
                  fullWidth
                  required
                />
                <TextField
                  id="vastai-remediation-new-key"
                  label="New API key (optional; leave empty to create one at Vast.ai)"
                  type="password"
                  value={pastedKey}
                  onChange={e => setPastedKey(e.target.value)}
                  inputProps={inputProps(
                    'vastai-remediation-new-key',
                    'new-password',
                  )}
                  helperText="Write-only: sent once to the backend, never shown again nor stored in the browser"
                  fullWidth
                />
              </Box>
            )}
          </>
        )}
        {run && <RunProgress run={run} pollError={pollError} />}
        {applyError && (
          <ErrorBlock
            error={applyError}
            testId="vastai-remediation-apply-error"
          />
        )}
        {run && !isFinalRun(run) && (
          <Typography variant="caption" component="p" style={{ marginTop: 8 }}>
            Closing this dialog does not stop the action; its progress stays on
            this page.
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>{run ? 'Close' : 'Cancel'}</Button>
        {!run && (
          <Button
            color="primary"
            variant="contained"
            onClick={confirm}
            disabled={!canConfirm}
            data-testid="vastai-remediation-confirm"
          >
            {confirmLabel}
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}
