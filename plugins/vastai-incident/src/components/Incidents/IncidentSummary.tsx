import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Step from '@material-ui/core/Step';
import StepButton from '@material-ui/core/StepButton';
import Stepper from '@material-ui/core/Stepper';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  INCIDENT_STATUSES,
  Incident,
  IncidentChanges,
  IncidentDetail,
  SEVERITY_MEANING,
} from '@vastai-incident/backstage-plugin-common';
import { useEffect, useState } from 'react';
import { useNow } from '../../hooks/useNow';
import { ErrorAlert } from '../common/ErrorAlert';
import { formatResponseTarget } from '../common/format';
import { SeverityField } from './SeverityField';
import { StatusStepIcon } from './StatusStepIcon';
import { formatDuration, formatTime, Gate } from './support';
import { useAction } from './useAction';

/**
 * The response-time target as a clock; overdue said in words, not only in colour. The due time
 * is the backend's (`responseDueAt`: P4's "next business day" follows the configured business
 * hours), never recomputed here from minutes.
 */
export function ResponseClock(props: {
  incident: Incident;
  /** Unique on the page: the tab's summary shows the same clock as the incident panel. */
  testId?: string;
}) {
  const { incident } = props;
  const now = useNow();
  const due = Date.parse(incident.responseDueAt);
  const target =
    incident.responseTarget ?? formatResponseTarget(incident.severity);
  const dueAt = formatTime(incident.responseDueAt);
  let text: string;
  let overdue = incident.overdue;
  if (incident.respondedAt) {
    const took =
      Date.parse(incident.respondedAt) - Date.parse(incident.declaredAt);
    text = `Responded after ${formatDuration(
      took,
    )} (target ${target}, due ${dueAt})`;
    overdue = incident.overdue || Date.parse(incident.respondedAt) > due;
    if (overdue) text = `OVERDUE: ${text}`;
  } else if (incident.status === 'resolved') {
    text = 'Resolved without a recorded response';
  } else if (now > due || incident.overdue) {
    overdue = true;
    text = `OVERDUE by ${formatDuration(
      now - due,
    )}: the response target (${target}) passed at ${dueAt}`;
  } else {
    text = `${formatDuration(
      due - now,
    )} left to respond (target ${target}, due ${dueAt})`;
  }
  return (
    <Typography
      variant="body1"
      role="timer"
      aria-live="off"
      data-testid={props.testId ?? 'vastai-incident-clock'}
      data-overdue={overdue ? 'true' : 'false'}
      color={overdue ? 'error' : 'textPrimary'}
      style={{ fontWeight: overdue ? 700 : 400 }}
    >
      {overdue ? '⚠ ' : '⏱ '}
      {text}
    </Typography>
  );
}

export interface IncidentSummaryProps {
  incident: IncidentDetail;
  manage: Gate;
  onChange: (changes: IncidentChanges) => Promise<void>;
}

/** Title, status stepper, severity, commander, impact and the response clock. */
export function IncidentSummary(props: IncidentSummaryProps) {
  const { incident, manage } = props;
  const resolved = incident.status === 'resolved';
  const editable = manage.allowed && !resolved;
  const { busy, error, run } = useAction();
  const [commander, setCommander] = useState(incident.commander);
  useEffect(() => setCommander(incident.commander), [incident.commander]);

  const change = (changes: IncidentChanges) =>
    run(() => props.onChange(changes));
  const activeStep = INCIDENT_STATUSES.indexOf(incident.status);
  const disabledReason = resolved
    ? 'The incident is resolved; declare a new one instead.'
    : manage.reason;

  return (
    <Box data-testid="vastai-incident-summary">
      <Typography variant="h6" component="h3">
        [{incident.severity}] {incident.title}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        Declared {formatTime(incident.declaredAt)} by {incident.declaredBy}
        {incident.resolvedAt && (
          <> · resolved {formatTime(incident.resolvedAt)}</>
        )}
      </Typography>
      <Box mt={1}>
        <ResponseClock incident={incident} />
      </Box>
      <ErrorAlert message={error} mt={1} />
      <Stepper
        activeStep={activeStep}
        nonLinear
        alternativeLabel
        aria-label="Incident status"
        data-testid="vastai-incident-status"
        data-status={incident.status}
      >
        {INCIDENT_STATUSES.map((status, index) => (
          <Step key={status} completed={index < activeStep || resolved}>
            <StepButton
              onClick={() => change({ status })}
              disabled={!editable || busy || index === activeStep}
              aria-current={index === activeStep ? 'step' : undefined}
              icon={
                <StatusStepIcon
                  done={index < activeStep || resolved}
                  current={index === activeStep}
                />
              }
              aria-label={
                index === activeStep
                  ? `Status: ${status} (current)`
                  : `Set status to ${status}`
              }
            >
              {status}
              {index === activeStep ? ' (current)' : ''}
            </StepButton>
          </Step>
        ))}
      </Stepper>
      {disabledReason && (
        <Typography
          variant="caption"
          color="textSecondary"
          component="p"
          data-testid="vastai-incident-manage-reason"
        >
          {disabledReason}
        </Typography>
      )}
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }} mt={2}>
        <SeverityField
          id="vastai-incident-severity"
          label="Severity"
          ariaLabel="Incident severity"
          value={incident.severity}
          disabled={!editable || busy}
          onChange={severity => change({ severity })}
          helperText={
            incident.lastTriageSeverity &&
            incident.lastTriageSeverity !== incident.severity
              ? `Triage now says ${incident.lastTriageSeverity}`
              : SEVERITY_MEANING[incident.severity]
          }
          style={{ minWidth: 200 }}
        />
        <Box display="flex" alignItems="flex-start" style={{ gap: 8 }}>
          <TextField
            id="vastai-incident-commander"
            label="Incident commander"
            value={commander}
            disabled={!editable || busy}
            onChange={e => setCommander(e.target.value)}
            style={{ minWidth: 260 }}
          />
          <Button
            variant="outlined"
            size="small"
            style={{ marginTop: 16 }}
            disabled={
              !editable ||
              busy ||
              commander.trim() === '' ||
              commander.trim() === incident.commander
            }
            onClick={() => change({ commander: commander.trim() })}
          >
            Change commander
          </Button>
        </Box>
      </Box>
      <Box mt={2}>
        <Typography variant="subtitle2">Impact</Typography>
        <Typography variant="body2">{incident.impact}</Typography>
      </Box>
    </Box>
  );
}
