import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  COMM_CHANNELS,
  CommChannel,
  CommMessage,
  CommPreview,
  IncidentDetail,
} from '@vastai-incident/backstage-plugin-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useIncidentsApi } from '../../hooks/useIncidents';
import { useNow } from '../../hooks/useNow';
import { ActionHint, ActionRow } from '../common/ActionRow';
import { ErrorAlert } from '../common/ErrorAlert';
import { newIdempotencyKey } from '../Remediation/runs';
import { PagerDutyComposer } from './PagerDutyComposer';
import { CHANNEL_LABELS, errorMessage, formatTime, Gate } from './support';
import { useAction } from './useAction';

interface ChannelProps {
  incident: IncidentDetail;
  channel: CommChannel;
  send: Gate;
  onSent: () => Promise<void>;
}

/** One channel: the filled template, editable, and the send button. */
function ChannelComposer(props: ChannelProps) {
  const { incident, channel, send } = props;
  const api = useIncidentsApi();
  const label = CHANNEL_LABELS[channel];
  const [preview, setPreview] = useState<CommPreview>();
  const [text, setText] = useState('');
  const [edited, setEdited] = useState(false);
  const { busy, error, setError, run } = useAction();
  // One key per composed message, kept until the backend answered: sending the same text again
  // after a timeout replays it rather than posting it twice.
  const sendKey = useRef<{ text: string; key: string }>();

  const load = useCallback(async () => {
    try {
      const p = await api.previewMessage(incident.id, channel);
      setPreview(p);
      setText(p.text);
      setEdited(false);
      setError(undefined);
    } catch (e) {
      setError(`Preview failed: ${errorMessage(e)}`);
    }
  }, [api, incident.id, channel, setError]);

  // The template follows the incident (status, severity) until someone edits the text.
  useEffect(() => {
    if (!edited) load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [load, incident.updatedAt, incident.messages.length]);

  const doSend = () =>
    run(async () => {
      if (sendKey.current?.text !== text) {
        sendKey.current = { text, key: newIdempotencyKey() };
      }
      const message = await api.sendMessage(
        incident.id,
        channel,
        text,
        sendKey.current.key,
      );
      sendKey.current = undefined;
      if (message.status === 'failed') {
        setError(`${label}: not sent: ${message.reason ?? 'unknown reason'}`);
      } else {
        setEdited(false);
      }
      await props.onSent();
    });

  const unavailable = preview?.unavailableReason;
  const reason = !send.allowed ? send.reason : unavailable;
  const id = `vastai-comms-${channel}`;
  return (
    <Box data-testid={id}>
      <Typography variant="subtitle1" component="h4">
        {label}
        {preview?.statuspage && (
          <Typography variant="caption" color="textSecondary" component="span">
            {' '}
            · will {preview.statuspage.action} the status-page incident
            {preview.statuspage.action === 'create' && preview.statuspage.name
              ? ` "${preview.statuspage.name}"`
              : ''}{' '}
            ({preview.statuspage.status}, component{' '}
            {preview.statuspage.componentStatus})
          </Typography>
        )}
      </Typography>
      <TextField
        id={`${id}-message`}
        label={`${label} message`}
        value={text}
        onChange={e => {
          setText(e.target.value);
          setEdited(true);
        }}
        multiline
        minRows={4}
        maxRows={14}
        fullWidth
        variant="outlined"
        margin="dense"
        disabled={!preview}
        inputProps={{ 'data-testid': `${id}-text`, maxLength: 20000 }}
      />
      <ErrorAlert message={error} />
      <ActionRow mt={1}>
        <Button
          variant="contained"
          color="primary"
          onClick={doSend}
          disabled={!!reason || busy || !text.trim()}
          aria-describedby={reason ? `${id}-reason` : undefined}
        >
          {busy ? 'Sending…' : `Send to ${label}`}
        </Button>
        <Button onClick={load} disabled={busy}>
          Reset from template
        </Button>
        <ActionHint id={`${id}-reason`}>{reason}</ActionHint>
      </ActionRow>
    </Box>
  );
}

const STATUS_LABELS: Record<CommMessage['status'], string> = {
  failed: 'FAILED',
  sent: 'Sent',
  sending: 'Sending',
};

/** Why a failed message cannot be retried now, or undefined when it can. */
function whyNoRetry(
  message: CommMessage,
  send: Gate,
  now: number,
): string | undefined {
  if (!send.allowed) return send.reason;
  if (!message.retryable) return 'This failure cannot be retried';
  const waitMs = message.retryAfter ? Date.parse(message.retryAfter) - now : 0;
  if (waitMs > 0) {
    return `The upstream asked to wait ${Math.ceil(waitMs / 1000)} s`;
  }
  return undefined;
}

/** "Slack", "Status page", "PagerDuty (trigger)": the channel and, for PagerDuty, the event. */
function channelOf(message: CommMessage): string {
  const action = (message.payload as { event_action?: unknown }).event_action;
  return message.channel === 'pagerduty' && typeof action === 'string'
    ? `${CHANNEL_LABELS.pagerduty} (${action})`
    : CHANNEL_LABELS[message.channel];
}

/** The messages sent so far, failed ones with their reason and a retry button. */
function SentMessages(props: CommsSectionProps) {
  const { incident, send } = props;
  const api = useIncidentsApi();
  const now = useNow();
  const [retrying, setRetrying] = useState<string>();
  const { error, setError, run } = useAction();
  const messages = [...incident.messages].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt),
  );
  if (messages.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No message sent yet.
      </Typography>
    );
  }

  const retry = async (message: CommMessage) => {
    setRetrying(message.id);
    await run(async () => {
      const after = await api.retryMessage(incident.id, message.id);
      if (after.status === 'failed') {
        setError(`Retry failed: ${after.reason ?? 'unknown reason'}`);
      }
      await props.onChanged();
    });
    setRetrying(undefined);
  };

  return (
    <>
      <ErrorAlert message={error} />
      <ul
        aria-label="Messages sent"
        data-testid="vastai-comms-messages"
        style={{ listStyle: 'none', padding: 0 }}
      >
        {messages.map(message => {
          const retryReason = whyNoRetry(message, send, now);
          return (
            <li
              key={message.id}
              data-status={message.status}
              data-channel={message.channel}
              style={{ padding: '6px 0' }}
            >
              <Typography variant="body2">
                <strong>{channelOf(message)}</strong> ·{' '}
                {STATUS_LABELS[message.status]} ·{' '}
                {formatTime(message.createdAt)} · {message.createdBy} ·{' '}
                {message.attempts} attempt{message.attempts === 1 ? '' : 's'}
              </Typography>
              {message.status === 'failed' && (
                <ActionRow>
                  <Typography variant="body2" color="error">
                    Reason: {message.reason ?? 'unknown'}
                    {message.upstreamStatus
                      ? ` (HTTP ${message.upstreamStatus})`
                      : ''}
                  </Typography>
                  <Button
                    size="small"
                    variant="outlined"
                    onClick={() => retry(message)}
                    disabled={!!retryReason || retrying === message.id}
                    aria-label={`Retry ${channelOf(message)} message`}
                  >
                    {retrying === message.id ? 'Retrying…' : 'Retry'}
                  </Button>
                  <ActionHint>{retryReason}</ActionHint>
                </ActionRow>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

export interface CommsSectionProps {
  incident: IncidentDetail;
  send: Gate;
  onChanged: () => Promise<void>;
}

/** Slack, status-page and PagerDuty messages: previewed, editable, sent, retried. */
export function CommsSection(props: CommsSectionProps) {
  return (
    <Box>
      <Grid container spacing={2}>
        {COMM_CHANNELS.map(channel => (
          <Grid item xs={12} md={6} key={channel}>
            <ChannelComposer
              incident={props.incident}
              channel={channel}
              send={props.send}
              onSent={props.onChanged}
            />
          </Grid>
        ))}
        <Grid item xs={12}>
          <PagerDutyComposer
            incident={props.incident}
            send={props.send}
            onSent={props.onChanged}
          />
        </Grid>
      </Grid>
      <Box mt={2}>
        <Typography variant="subtitle2" component="h4">
          Messages
        </Typography>
        <SentMessages {...props} />
      </Box>
    </Box>
  );
}
