import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  IncidentDetail,
  PAGERDUTY_SUMMARY_MAX,
  PagerDutyAction,
  PagerDutyState,
  PagerDutyStatus,
} from '@vastai-incident/backstage-plugin-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useIncidentsApi } from '../../hooks/useIncidents';
import { ActionHint, ActionRow } from '../common/ActionRow';
import { ErrorAlert } from '../common/ErrorAlert';
import { newIdempotencyKey } from '../Remediation/runs';
import { errorMessage, Gate } from './support';

const STATE_LABELS: Record<PagerDutyState, string> = {
  none: 'not paged',
  triggered: 'paged, not acknowledged',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
};

const BUTTON_LABELS: Record<PagerDutyAction, string> = {
  trigger: 'Page PagerDuty',
  acknowledge: 'Acknowledge PagerDuty page',
  resolve: 'Resolve PagerDuty page',
};

const BUSY_LABELS: Record<PagerDutyAction, string> = {
  trigger: 'Paging…',
  acknowledge: 'Acknowledging…',
  resolve: 'Resolving…',
};

export interface PagerDutyComposerProps {
  incident: IncidentDetail;
  send: Gate;
  onSent: () => Promise<void>;
}

/**
 * PagerDuty for the incident: where its page stands, the alert summary (previewed, editable) and
 * the page / acknowledge / resolve buttons, each disabled with its reason. Resolving the
 * incident resolves the page by itself.
 */
export function PagerDutyComposer(props: PagerDutyComposerProps) {
  const { incident, send } = props;
  const api = useIncidentsApi();
  const [status, setStatus] = useState<PagerDutyStatus>();
  const [summary, setSummary] = useState('');
  const [edited, setEdited] = useState(false);
  const [pending, setPending] = useState<PagerDutyAction>();
  const [error, setError] = useState<string>();
  // One key per event composed, kept until the backend answered: pressing again after a timeout
  // replays it rather than sending a second event.
  const sendKey = useRef<{ request: string; key: string }>();

  const load = useCallback(
    async (resetSummary: boolean) => {
      try {
        const s = await api.getPagerDutyStatus(incident.id);
        setStatus(s);
        if (resetSummary) {
          const preview = await api.previewPagerDuty(incident.id, 'trigger');
          setSummary(preview.text);
          setEdited(false);
        }
      } catch (e) {
        setError(`PagerDuty status failed: ${errorMessage(e)}`);
      }
    },
    [api, incident.id],
  );

  // The status follows the incident and its PagerDuty messages (a retry from the messages list
  // changes one in place); the proposed summary too, until someone edits it.
  const pagerDutyMessages = incident.messages
    .filter(m => m.channel === 'pagerduty')
    .map(m => `${m.id}:${m.status}:${m.updatedAt}`)
    .join(',');
  useEffect(() => {
    load(!edited);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [load, incident.updatedAt, incident.messages.length, pagerDutyMessages]);

  const doSend = async (action: PagerDutyAction) => {
    setPending(action);
    setError(undefined);
    try {
      const text = action === 'trigger' ? summary : undefined;
      const request = JSON.stringify({ action, text });
      if (sendKey.current?.request !== request) {
        sendKey.current = { request, key: newIdempotencyKey() };
      }
      const message = await api.sendPagerDuty(
        incident.id,
        action,
        text,
        sendKey.current.key,
      );
      sendKey.current = undefined;
      if (message.status === 'failed') {
        setError(
          `PagerDuty ${action}: not sent: ${
            message.reason ?? 'unknown reason'
          }`,
        );
      } else if (action === 'trigger') {
        setEdited(false);
      }
      await props.onSent();
      await load(action === 'trigger');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPending(undefined);
    }
  };

  const why = (action: PagerDutyAction): string | undefined => {
    if (!send.allowed) return send.reason;
    if (!status) return 'Loading the PagerDuty status…';
    return status.unavailable[action];
  };
  const id = 'vastai-comms-pagerduty';
  const triggerReason =
    why('trigger') ??
    (summary.trim() ? undefined : 'The alert summary is empty');
  const actions: PagerDutyAction[] = ['acknowledge', 'resolve'];

  return (
    <Box data-testid={id} component="section" aria-labelledby={`${id}-title`}>
      <Typography variant="subtitle1" component="h4" id={`${id}-title`}>
        PagerDuty
      </Typography>
      <Typography
        variant="body2"
        role="status"
        aria-label="PagerDuty page status"
        data-state={status?.state}
      >
        {!status && 'Loading…'}
        {status && !status.configured && 'Not configured for this integration'}
        {status?.configured && (
          <>
            Page: <strong>{STATE_LABELS[status.state]}</strong>
            {status.severity
              ? ` · pages as ${status.severity}`
              : ` · ${incident.severity} does not page`}
            {' · dedup key '}
            <code>{status.dedupKey}</code>
          </>
        )}
      </Typography>
      <TextField
        id={`${id}-summary`}
        label="PagerDuty alert summary"
        value={summary}
        onChange={e => {
          setSummary(e.target.value);
          setEdited(true);
        }}
        multiline
        minRows={2}
        maxRows={6}
        fullWidth
        variant="outlined"
        margin="dense"
        disabled={!status?.configured}
        inputProps={{
          'data-testid': `${id}-text`,
          maxLength: PAGERDUTY_SUMMARY_MAX,
        }}
      />
      <ErrorAlert message={error} />
      <ActionRow mt={1}>
        <Button
          variant="contained"
          color="secondary"
          onClick={() => doSend('trigger')}
          disabled={!!triggerReason || !!pending}
          aria-describedby={triggerReason ? `${id}-trigger-reason` : undefined}
        >
          {pending === 'trigger' ? BUSY_LABELS.trigger : BUTTON_LABELS.trigger}
        </Button>
        <ActionHint id={`${id}-trigger-reason`}>{triggerReason}</ActionHint>
      </ActionRow>
      <ActionRow mt={1}>
        {actions.map(action => {
          const reason = why(action);
          return (
            <Box key={action} display="flex" alignItems="center">
              <Button
                variant="outlined"
                onClick={() => doSend(action)}
                disabled={!!reason || !!pending}
                aria-describedby={reason ? `${id}-${action}-reason` : undefined}
              >
                {pending === action
                  ? BUSY_LABELS[action]
                  : BUTTON_LABELS[action]}
              </Button>
              <Box ml={1}>
                <ActionHint id={`${id}-${action}-reason`}>{reason}</ActionHint>
              </Box>
            </Box>
          );
        })}
      </ActionRow>
    </Box>
  );
}
