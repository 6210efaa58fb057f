import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField, { TextFieldProps } from '@material-ui/core/TextField';
import {
  DeclareIncidentRequest,
  Severity,
} from '@vastai-incident/backstage-plugin-common';
import { FormEvent, useEffect, useState } from 'react';
import { ErrorAlert } from '../common/ErrorAlert';
import { SeverityField } from './SeverityField';
import { useAction } from './useAction';

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

/** A full-width text field of the form, its value as a string. */
function FormField(
  props: Omit<TextFieldProps, 'onChange'> & {
    onChange: (value: string) => void;
  },
) {
  const { onChange, ...rest } = props;
  return (
    <TextField
      fullWidth
      margin="normal"
      {...(rest as TextFieldProps)}
      onChange={e => onChange(e.target.value)}
    />
  );
}

interface DeclareForm {
  title: string;
  impact: string;
  severity: Severity;
  commander: string;
}

/** Title, impact, severity (from triage) and commander (you, unless changed). */
export function DeclareIncidentDialog(props: DeclareIncidentDialogProps) {
  const { open, triageSeverity, suggestedTitle, currentUser } = props;
  const [form, setForm] = useState<DeclareForm>({
    title: '',
    impact: '',
    severity: 'P4',
    commander: '',
  });
  const { title, impact, severity, commander } = form;
  const { busy: submitting, error, setError, run } = useAction();

  // Fresh values each time the dialog opens: triage may have changed meanwhile.
  useEffect(() => {
    if (!open) return;
    setForm({
      title: suggestedTitle ?? '',
      impact: '',
      severity: triageSeverity ?? 'P4',
      commander: currentUser ?? '',
    });
    setError(undefined);
  }, [open, suggestedTitle, triageSeverity, currentUser, setError]);

  /** The id, value and change handler of one text field of the form. */
  const field = (name: 'title' | 'impact' | 'commander') => ({
    id: `vastai-declare-incident-${name}`,
    value: form[name],
    onChange: (value: string) => setForm(f => ({ ...f, [name]: value })),
  });

  const commanderValid =
    commander.trim() === '' || USER_REF.test(commander.trim());
  const canSubmit =
    title.trim() !== '' &&
    impact.trim() !== '' &&
    commanderValid &&
    !submitting;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!canSubmit) return;
    run(() =>
      props.onDeclare({
        entityRef: props.entityRef,
        title: title.trim(),
        impact: impact.trim(),
        severity,
        ...(commander.trim() ? { commander: commander.trim() } : {}),
      }),
    );
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
          <ErrorAlert message={error} />
          <FormField
            {...field('title')}
            label="Title"
            required
            inputProps={{ maxLength: 200 }}
          />
          <FormField
            {...field('impact')}
            label="Impact"
            helperText="Who is affected, and how"
            required
            multiline
            minRows={2}
            inputProps={{ maxLength: 2000 }}
          />
          <SeverityField
            id="vastai-declare-incident-severity"
            label="Severity"
            ariaLabel="Severity"
            value={severity}
            onChange={s => setForm(f => ({ ...f, severity: s }))}
            helperText={
              triageSeverity
                ? `Triage says ${triageSeverity}`
                : 'Triage reports no incident severity'
            }
            fullWidth
            margin="normal"
          />
          <FormField
            {...field('commander')}
            label="Incident commander"
            error={!commanderValid}
            helperText={
              commanderValid
                ? 'A user entity ref; you by default'
                : 'Must be a user entity ref, like user:default/jane'
            }
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
