import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { TimelineEvent } from '@vastai-incident/backstage-plugin-common';
import { FormEvent, useState } from 'react';
import { ErrorAlert } from '../common/ErrorAlert';
import { formatTime, Gate } from './support';
import { useAction } from './useAction';

const KIND_LABELS: Record<string, string> = {
  declared: 'Declared',
  status: 'Status',
  severity: 'Severity',
  commander: 'Commander',
  impact: 'Impact',
  note: 'Note',
  'triage-severity': 'Triage',
  message: 'Message',
  action: 'Action',
  evidence: 'Evidence',
  postmortem: 'Postmortem',
};

export interface IncidentTimelineProps {
  events: TimelineEvent[];
  /** Notes can be added while the incident is open, with `vastai.incident.manage`. */
  notes: Gate;
  onAddNote: (text: string) => Promise<void>;
}

/** Every recorded event, newest first, each with its time, actor and kind. */
export function IncidentTimeline(props: IncidentTimelineProps) {
  const [note, setNote] = useState('');
  const { busy, error, run } = useAction();
  const newestFirst = [...props.events].sort(
    (a, b) => Date.parse(b.at) - Date.parse(a.at) || b.id - a.id,
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!note.trim()) return;
    run(async () => {
      await props.onAddNote(note.trim());
      setNote('');
    });
  };

  return (
    <Box>
      <form onSubmit={submit}>
        <Box display="flex" alignItems="flex-start" style={{ gap: 8 }}>
          <TextField
            id="vastai-incident-note"
            label="Add a note"
            value={note}
            onChange={e => setNote(e.target.value)}
            disabled={!props.notes.allowed || busy}
            helperText={props.notes.reason}
            fullWidth
            inputProps={{ maxLength: 5000 }}
          />
          <Button
            type="submit"
            variant="outlined"
            disabled={!props.notes.allowed || busy || !note.trim()}
            style={{ marginTop: 16 }}
          >
            Add note
          </Button>
        </Box>
      </form>
      <ErrorAlert message={error} />
      <ol
        aria-label="Incident timeline, newest first"
        data-testid="vastai-incident-timeline"
        style={{ listStyle: 'none', padding: 0 }}
      >
        {newestFirst.map(event => (
          <li
            key={event.id}
            data-kind={event.kind}
            style={{
              padding: '6px 0',
              borderBottom: '1px solid rgba(0,0,0,0.08)',
            }}
          >
            <Typography variant="caption" color="textSecondary" component="p">
              <time dateTime={event.at}>{formatTime(event.at)}</time> ·{' '}
              {event.actor ?? 'system'} ·{' '}
              <strong>{KIND_LABELS[event.kind] ?? event.kind}</strong>
            </Typography>
            <Typography variant="body2">{event.summary}</Typography>
          </li>
        ))}
      </ol>
    </Box>
  );
}
