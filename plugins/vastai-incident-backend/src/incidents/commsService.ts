import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type {
  CommChannel,
  CommMessage,
  CommPreview,
  Incident,
  MessageChannel,
  PagerDutyAction,
  PagerDutyEvent,
  PagerDutyPreview,
  PagerDutyStatus,
} from '@vastai-incident/backstage-plugin-common';
import {
  actionOf,
  PAGERDUTY_SUMMARY_MAX,
  pagerDutyState,
  pagerDutyUnavailable,
  PAGING_SEVERITY,
} from '@vastai-incident/backstage-plugin-common';
import { randomUUID } from 'node:crypto';
import { commsOf, IncidentContext } from './context';
import { checkReplay, waitFor } from './idempotency';
import type { AttemptOutcome, StoredMessage } from './messageStore';
import {
  DEFAULT_PUBLIC_TEMPLATE,
  PublicStatusTemplate,
  publicStatusText,
  StatuspagePayload,
  statuspagePayload,
  statuspageRequest,
} from './publicStatus';
import {
  defaultPagerDutySummary,
  PAGERDUTY_ACTION_TEXT,
  pagerDutyEvent,
  sendPagerDutyEvent,
} from './pagerduty';
import { sendSlack, sendStatuspage, SendOutcome } from './senders';
import { slackPayload, slackTemplate } from './templates';
import { slackCommander } from './commander';

/** A claim on creating the status-page incident older than this (plus the send deadline) was left by a process that died. */
const CLAIM_STALE_MARGIN_MS = 30_000;

/** Where a status-page message goes: the public incident it updates, or none yet (it creates it). */
type StatuspageTarget = { existingId?: string };

/** The Idempotency-Key of the resolve sent when the incident resolves: one per incident. */
const RESOLVE_ON_RESOLUTION_KEY = 'incident-resolved:pagerduty-resolve';

const CHANNEL_NAMES: Record<MessageChannel, string> = {
  slack: 'Slack',
  statuspage: 'status page',
  pagerduty: 'PagerDuty',
};

/** What a replay of a send must repeat: the channel, the text and, for PagerDuty, the action. */
function replayRequestOf(
  message: Pick<CommMessage, 'channel' | 'text' | 'payload'>,
) {
  return message.channel === 'pagerduty'
    ? {
        channel: message.channel,
        action: actionOf(message),
        text: message.text,
      }
    : { channel: message.channel, text: message.text };
}

/**
 * Slack and status-page messages of an incident. A message is stored before it is sent, and
 * nothing is retried automatically: a person presses retry. A send carries an Idempotency-Key:
 * its replay (a retry after a timeout, a concurrent double submit) returns the stored message
 * and sends nothing again.
 */
export class CommsService {
  constructor(private readonly ctx: IncidentContext) {}

  private get messages() {
    return this.ctx.store.messages;
  }

  /** How long a replay waits for the first request's attempt to end. */
  private get settleMs() {
    return 2 * this.ctx.sendTimeoutMs + 2_000;
  }

  /** Why the channel cannot be used for this incident, or undefined when it can. */
  private unavailable(incident: Incident, channel: MessageChannel) {
    const comms = commsOf(this.ctx, incident);
    const missing =
      (channel === 'slack' && !comms.slack && 'no Slack webhook') ||
      (channel === 'statuspage' && !comms.statuspage && 'no status page') ||
      (channel === 'pagerduty' &&
        !comms.pagerduty &&
        'no PagerDuty routing key');
    return missing
      ? `${missing} is configured for integration "${
          incident.integration ?? '-'
        }"`
      : undefined;
  }

  private publicTemplate(incident: Incident): PublicStatusTemplate {
    return (
      commsOf(this.ctx, incident).statuspage?.publicTemplate ??
      DEFAULT_PUBLIC_TEMPLATE
    );
  }

  /** `credentials`: the caller's, to look the commander up as they may read the catalog. */
  async preview(
    incident: Incident,
    channel: CommChannel,
    credentials?: BackstageCredentials,
  ): Promise<CommPreview> {
    const now = new Date();
    const unavailableReason = this.unavailable(incident, channel);
    if (channel === 'slack') {
      const timeline = await this.ctx.store.timeline(incident.id);
      const commander = await slackCommander(
        this.ctx.commanders,
        incident.commander,
        credentials,
      );
      const text = slackTemplate(incident, timeline, now, commander);
      return {
        channel,
        text,
        blocks: slackPayload(incident, text).blocks,
        unavailableReason,
      };
    }
    const template = this.publicTemplate(incident);
    const published = statuspagePayload(
      template,
      incident,
      publicStatusText(template, incident, now),
    );
    return {
      channel,
      text: published.body,
      statuspage: {
        action: incident.statuspageIncidentId ? 'update' : 'create',
        name: published.name,
        status: published.status,
        impact: published.impact_override,
        componentStatus: published.componentStatus,
      },
      unavailableReason,
    };
  }

  list(incident: Incident): Promise<CommMessage[]> {
    return this.messages.list(incident.id);
  }

  /**
   * Stores the message first (nothing is lost whatever the upstream does), then sends it.
   * The answer is the stored message: `sent`, or `failed` with the reason and retryable. The
   * key is unique per incident: a replay by the same user with the same message gets the
   * stored message once its attempt ended; anyone or anything else reusing it gets 422.
   */
  async send(
    incident: Incident,
    channel: CommChannel,
    rawText: string,
    actor: string,
    idempotencyKey?: string,
  ): Promise<CommMessage> {
    const unavailable = this.unavailable(incident, channel);
    if (unavailable) throw new ConflictError(`Cannot send: ${unavailable}`);
    if (!idempotencyKey) {
      throw new InputError(
        'An Idempotency-Key header is required to send a message: a retry with the same key never sends it twice',
      );
    }
    const text = this.ctx.redact(rawText);
    return this.storeAndSend(
      incident,
      {
        channel,
        text,
        payload:
          channel === 'slack'
            ? slackPayload(incident, text)
            : {
                ...statuspagePayload(
                  this.publicTemplate(incident),
                  incident,
                  text,
                ),
              },
      },
      actor,
      idempotencyKey,
    );
  }

  /**
   * Stores the message under its key and sends it; a replay of the key (same user, same
   * request) gets the stored message once its attempt ended, anything else 422.
   */
  private async storeAndSend(
    incident: Incident,
    draft: {
      channel: MessageChannel;
      text: string;
      payload: Record<string, unknown>;
    },
    actor: string,
    idempotencyKey: string,
  ): Promise<CommMessage> {
    const messageId = randomUUID();
    const inserted = await this.messages.insert({
      id: messageId,
      incidentId: incident.id,
      ...draft,
      createdBy: actor,
      at: Date.now(),
      idempotencyKey,
    });
    if (!inserted) {
      const first = await this.messages.findByKey(incident.id, idempotencyKey);
      if (!first) throw new Error('idempotency record vanished');
      const { message } = first;
      checkReplay(
        'message',
        { actor: message.createdBy, request: replayRequestOf(message) },
        { actor, request: replayRequestOf(draft) },
      );
      return this.settled(message.id);
    }
    return this.attempt(incident, messageId, actor, false);
  }

  /**
   * Sends a failed message again. With an Idempotency-Key, a replay of the same retry (same
   * user) gets the message once that retry ended, rather than sending it once more.
   */
  async retry(
    incident: Incident,
    messageId: string,
    actor: string,
    idempotencyKey?: string,
  ): Promise<CommMessage> {
    const stored = await this.messages.find(messageId);
    if (!stored || stored.message.incidentId !== incident.id) {
      throw new NotFoundError(
        `No message ${messageId} on incident ${incident.id}`,
      );
    }
    if (idempotencyKey && stored.retryKey === idempotencyKey) {
      return this.replayRetry(stored, actor);
    }
    const { message } = stored;
    if (message.status !== 'failed') {
      throw new ConflictError(
        `Only a failed message can be retried; this one is ${message.status}`,
      );
    }
    if (message.retryAfter && Date.parse(message.retryAfter) > Date.now()) {
      throw new ConflictError(
        `The upstream asked to wait: retry after ${message.retryAfter}`,
      );
    }
    if (!message.retryable) {
      throw new ConflictError(
        `This message cannot be retried: ${message.reason}`,
      );
    }
    if (
      message.channel === 'pagerduty' &&
      actionOf(message) === 'trigger' &&
      incident.status === 'resolved'
    ) {
      throw new ConflictError(
        'The incident is resolved: a page for it is not sent again',
      );
    }
    const retry = { key: idempotencyKey, actor };
    if (!(await this.messages.claimRetry(messageId, retry))) {
      const now = await this.messages.find(messageId);
      if (now && idempotencyKey && now.retryKey === idempotencyKey) {
        return this.replayRetry(now, actor);
      }
      throw new ConflictError('This message is being sent already');
    }
    return this.attempt(incident, messageId, actor, true);
  }

  // ---- PagerDuty: trigger (P1/P2), acknowledge, resolve; one alert per incident (dedup key)

  /** The incident's page: configured, where it stands, and why an action cannot be sent now. */
  async pagerDutyStatus(incident: Incident): Promise<PagerDutyStatus> {
    const notConfigured = this.unavailable(incident, 'pagerduty');
    const state = pagerDutyState(await this.messages.list(incident.id));
    return {
      configured: !notConfigured,
      state,
      dedupKey: incident.id,
      severity: PAGING_SEVERITY[incident.severity],
      unavailable: pagerDutyUnavailable(incident, state, notConfigured),
    };
  }

  /** The event `action` would send (the routing key is never part of it). */
  async previewPagerDuty(
    incident: Incident,
    action: PagerDutyAction,
  ): Promise<PagerDutyPreview> {
    const status = await this.pagerDutyStatus(incident);
    const text =
      action === 'trigger'
        ? defaultPagerDutySummary(incident)
        : PAGERDUTY_ACTION_TEXT[action];
    return {
      channel: 'pagerduty',
      action,
      text,
      event: this.pagerDutyEventOf(incident, action, text),
      unavailableReason: status.unavailable[action],
    };
  }

  /**
   * Sends a PagerDuty event like any other message: stored first, sent once per
   * Idempotency-Key, failed ones retried by a person. A trigger takes the edited summary
   * (`rawText`, default the preview's); acknowledge and resolve take no text. 409 when the
   * action cannot be sent now (not configured, the severity does not page, no page open).
   */
  async sendPagerDuty(
    incident: Incident,
    action: PagerDutyAction,
    rawText: string | undefined,
    actor: string,
    idempotencyKey?: string,
  ): Promise<CommMessage> {
    if (action !== 'trigger' && rawText !== undefined) {
      throw new InputError(`A PagerDuty ${action} carries no text`);
    }
    if (!idempotencyKey) {
      throw new InputError(
        'An Idempotency-Key header is required to send a PagerDuty event: a retry with the same key never sends it twice',
      );
    }
    // A replay of a send that already went through is answered before the state moved on.
    const first = await this.messages.findByKey(incident.id, idempotencyKey);
    if (!first) {
      const status = await this.pagerDutyStatus(incident);
      const why = status.unavailable[action];
      if (why) throw new ConflictError(`Cannot ${action} on PagerDuty: ${why}`);
    }
    const text =
      action === 'trigger'
        ? this.ctx
            .redact(rawText ?? defaultPagerDutySummary(incident))
            .slice(0, PAGERDUTY_SUMMARY_MAX)
        : PAGERDUTY_ACTION_TEXT[action];
    return this.storeAndSend(
      incident,
      {
        channel: 'pagerduty',
        text,
        payload: {
          ...this.pagerDutyEventOf(incident, action, text),
        },
      },
      actor,
      idempotencyKey,
    );
  }

  /**
   * Call when the incident has just resolved: an open page (triggered or acknowledged) is
   * resolved, once per incident across replicas (a fixed Idempotency-Key). Never throws: a
   * failure is on the timeline (the message's attempt) or in the log, and the incident stays
   * resolved; the failed resolve can be retried from the messages list.
   */
  async resolvePagerDutyOnResolution(
    incident: Incident,
    actor: string,
  ): Promise<void> {
    try {
      if (!commsOf(this.ctx, incident).pagerduty) return;
      const state = pagerDutyState(await this.messages.list(incident.id));
      if (state !== 'triggered' && state !== 'acknowledged') return;
      await this.sendPagerDuty(
        incident,
        'resolve',
        undefined,
        actor,
        RESOLVE_ON_RESOLUTION_KEY,
      );
    } catch (error) {
      this.ctx.logger.warn(
        `resolving the PagerDuty page of incident ${
          incident.id
        } failed: ${this.ctx.redact(
          error instanceof Error ? error.message : String(error),
        )}`,
      );
    }
  }

  private pagerDutyEventOf(
    incident: Incident,
    action: PagerDutyAction,
    summary: string,
  ): PagerDutyEvent {
    const config = commsOf(this.ctx, incident).pagerduty ?? {
      eventsUrl: '',
      routingKey: '',
    };
    return pagerDutyEvent({
      action,
      incident,
      summary,
      config,
      redact: this.ctx.redact,
      appBaseUrl: this.ctx.appBaseUrl,
    });
  }

  private replayRetry(stored: StoredMessage, actor: string) {
    const request = { retry: stored.message.id };
    checkReplay(
      'retry',
      { actor: stored.retryBy ?? '', request },
      { actor, request },
    );
    return this.settled(stored.message.id);
  }

  /** The stored message once no attempt of it is in flight (or as it is after the wait). */
  private async settled(messageId: string): Promise<CommMessage> {
    const message = await waitFor(
      () => this.messages.get(messageId),
      m => m?.status !== 'sending',
      this.settleMs,
    );
    return message!;
  }

  /** One send of a stored message; its outcome and timeline event in one transaction. */
  private async attempt(
    incident: Incident,
    messageId: string,
    actor: string,
    isRetry: boolean,
  ): Promise<CommMessage> {
    const message = (await this.messages.get(messageId))!;
    const { outcome, createdStatuspageId } = await this.deliver(
      incident,
      message,
    );
    const action =
      message.channel === 'pagerduty' ? actionOf(message) : undefined;
    const where = `${CHANNEL_NAMES[message.channel]}${
      action ? ` (${action})` : ''
    }`;
    const excerpt = message.text.replace(/\s+/g, ' ').slice(0, 200);
    const attempt = { messageId, channel: message.channel };
    let stored: AttemptOutcome;
    let summary: string;
    if (outcome.ok) {
      stored = {
        status: 'sent',
        retryable: false,
        upstreamStatus: outcome.upstreamStatus,
      };
      summary = `${isRetry ? 'Retried and sent' : 'Sent'} to ${where}${
        createdStatuspageId ? ' (status page incident created)' : ''
      }`;
    } else {
      const reason = this.ctx.redact(outcome.reason);
      stored = {
        status: 'failed',
        reason,
        retryable: outcome.retryable,
        retryAfterMs:
          outcome.retryAfterMs !== undefined
            ? Date.now() + outcome.retryAfterMs
            : undefined,
        upstreamStatus: outcome.upstreamStatus,
      };
      summary = `Sending to ${where} failed (${reason})${
        outcome.retryable ? '; retryable' : ''
      }`;
    }
    return this.messages.finishAttempt(
      messageId,
      stored,
      {
        kind: 'message',
        actor,
        summary: `${summary}: ${excerpt}`,
        detail: {
          ...attempt,
          ...(action ? { action } : {}),
          status: stored.status,
          attempt: message.attempts + 1,
          upstreamStatus: outcome.ok ? undefined : outcome.upstreamStatus,
        },
      },
      createdStatuspageId,
    );
  }

  /** Sends the stored payload to its channel; the status page's new incident id, if created. */
  private async deliver(
    incident: Incident,
    message: CommMessage,
  ): Promise<{ outcome: SendOutcome; createdStatuspageId?: string }> {
    const comms = commsOf(this.ctx, incident);
    const options = {
      http: this.ctx.http,
      timeoutMs: this.ctx.sendTimeoutMs,
      redact: this.ctx.redact,
    };
    const notConfigured = (reason: string) => ({
      outcome: { ok: false as const, reason, retryable: true },
    });
    if (message.channel === 'slack') {
      return comms.slack
        ? {
            outcome: await sendSlack(
              options,
              comms.slack,
              message.payload as { text: string; blocks: unknown[] },
            ),
          }
        : notConfigured('Slack is not configured');
    }
    if (message.channel === 'pagerduty') {
      return comms.pagerduty
        ? {
            outcome: await sendPagerDutyEvent(
              options,
              comms.pagerduty,
              message.payload as unknown as PagerDutyEvent,
            ),
          }
        : notConfigured('PagerDuty is not configured');
    }
    if (!comms.statuspage) {
      return notConfigured('the status page is not configured');
    }
    const target = await this.statuspageTarget(incident.id, message.id);
    if (!target) {
      return notConfigured(
        'another status-page message is still creating the public incident; retry once it is sent',
      );
    }
    const existing = target.existingId;
    const outcome = await sendStatuspage(
      options,
      comms.statuspage,
      existing,
      statuspageRequest(
        comms.statuspage.componentId,
        message.payload as unknown as StatuspagePayload,
        Boolean(existing),
      ),
    );
    return {
      outcome,
      createdStatuspageId:
        outcome.ok && !existing ? outcome.upstreamId : undefined,
    };
  }

  /**
   * The public incident a status-page message updates, or none when this message creates it:
   * one message at a time holds the claim on creating it, across replicas, so concurrent first
   * messages never open two public incidents; the others wait and update the one created.
   * Undefined when the creation by another message outlasted the wait.
   */
  private statuspageTarget(
    incidentId: string,
    messageId: string,
  ): Promise<StatuspageTarget | undefined> {
    const { sendTimeoutMs } = this.ctx;
    return waitFor<StatuspageTarget | undefined>(
      async () => {
        const existingId = await this.messages.statuspageIncidentIdOf(
          incidentId,
        );
        if (existingId) return { existingId };
        const staleBefore = Date.now() - sendTimeoutMs - CLAIM_STALE_MARGIN_MS;
        const claimed = await this.messages.claimStatuspageCreate(
          incidentId,
          messageId,
          staleBefore,
        );
        return claimed ? {} : undefined;
      },
      target => target !== undefined,
      sendTimeoutMs + 1_000,
    );
  }
}
