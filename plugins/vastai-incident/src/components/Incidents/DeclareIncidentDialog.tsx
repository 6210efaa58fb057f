import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import {
  Severity,
  SEVERITY_MEANING,
} from '@internal/plugin-vastai-incident-common';
import { FormEvent, useEffect, useState } from 'react';
import { DeclareIncidentRequest } from '../../api/IncidentsClient';
import { errorMessage } from './support';

const SEVERITIES: Severity[] = ['P1', 'P2', 'P3', 'P4'];
const USER_REF = /^user:([A-Za-z0-9._-]+\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface DeclareIncidentDialogProps {
  open: boolean;
  entityRef: string;
  /** Triage's severity, pre-selected; P4 when triage saw none. */
  triageSeverity?: Severity | null;
  /** Suggested title (the triage verdict). */
  suggestedTitle?: string;
  /** The signed-in user, the default commander. */
  currentUser?: string;
  onClose: () => void;
  onDeclare: (request: DeclareIncidentRequest) => Promise<void>;
}

/** Title, impact, severity (from triage) and commander (you, unless changed). */
export function DeclareIncidentDialog(props: DeclareIncidentDialogProps) {
  const { open, triageSeverity, suggestedTitle, currentUser } = props;
  const [title, setTitle] = useState('');
  const [impact, setImpact] = useState('');
  const [severity, setSeverity] = useState<Severity>('P4');
  const [commander, setCommander] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();

  // Fresh values each time the dialog opens: triage may have changed meanwhile.
  useEffect(() => {
    if (!open) return;
    setTitle(suggestedTitle ?? '');
    setImpact('');
    setSeverity(triageSeverity ?? 'P4');
    setCommander(currentUser ?? '');
    setError(undefined);
  }, [open, suggestedTitle, triageSeverity, currentUser]);

  const commanderValid =
    commander.trim() === '' || USER_REF.test(commander.trim());
  const canSubmit =
    title.trim() !== '' &&
    impact.trim() !== '' &&
    commanderValid &&
    !submitting;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!canSubmit) return;
    setSubmitting(true);
    setError(undefined);
    try {
      await props.onDeclare({
        entityRef: props.entityRef,
        title: title.trim(),
        impact: impact.trim(),
        severity,
        ...(commander.trim() ? { commander: commander.trim() } : {}),
      });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Dialog
      open={open}
      onClose={props.onClose}
      aria-labelledby="vastai-declare-title"
      fullWidth
      maxWidth="sm"
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle id="vastai-declare-title">Declare incident</DialogTitle>
        <DialogContent>
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
          <TextField
            id="vastai-declare-incident-title"
            label="Title"
            value={title}
            onChange={e => setTitle(e.target.value)}
            required
            fullWidth
            margin="normal"
            inputProps={{ maxLength: 200 }}
          />
          <TextField
            id="vastai-declare-incident-impact"
            label="Impact"
            helperText="Who is affected, and how"
            value={impact}
            onChange={e => setImpact(e.target.value)}
            required
            fullWidth
            multiline
            minRows={2}
            margin="normal"
            inputProps={{ maxLength: 2000 }}
          />
          <TextField
            select
            id="vastai-declare-incident-severity"
            label="Severity"
            value={severity}
            onChange={e => setSeverity(e.target.value as Severity)}
            helperText={
              triageSeverity
                ? `Triage says ${triageSeverity}`
                : 'Triage reports no incident severity'
            }
            fullWidth
            margin="normal"
            SelectProps={{
              SelectDisplayProps: { 'aria-label': 'Severity' } as any,
            }}
          >
            {SEVERITIES.map(s => (
              <MenuItem key={s} value={s}>
                {s} · {SEVERITY_MEANING[s]}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            id="vastai-declare-incident-commander"
            label="Incident commander"
            value={commander}
            onChange={e => setCommander(e.target.value)}
            error={!commanderValid}
            helperText={
              commanderValid
                ? 'A user entity ref; you by default'
                : 'Must be a user entity ref, like user:default/jane'
            }
            fullWidth
            margin="normal"
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={props.onClose}>Cancel</Button>
          <Button
            type="submit"
            color="primary"
            variant="contained"
            disabled={!canSubmit}
          >
            {submitting ? 'Declaring…' : 'Declare'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
