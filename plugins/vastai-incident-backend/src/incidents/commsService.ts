import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type {
  CommChannel,
  CommMessage,
  CommPreview,
  Incident,
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
import { sendSlack, sendStatuspage, SendOutcome } from './senders';
import { slackPayload, slackTemplate } from './templates';

/** A claim on creating the status-page incident older than this (plus the send deadline) was left by a process that died. */
const CLAIM_STALE_MARGIN_MS = 30_000;

/** Where a status-page message goes: the public incident it updates, or none yet (it creates it). */
type StatuspageTarget = { existingId?: string };

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
  private unavailable(incident: Incident, channel: CommChannel) {
    const comms = commsOf(this.ctx, incident);
    const missing =
      (channel === 'slack' && !comms.slack && 'no Slack webhook') ||
      (channel === 'statuspage' && !comms.statuspage && 'no status page');
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

  async preview(
    incident: Incident,
    channel: CommChannel,
  ): Promise<CommPreview> {
    const now = new Date();
    const unavailableReason = this.unavailable(incident, channel);
    if (channel === 'slack') {
      const timeline = await this.ctx.store.timeline(incident.id);
      const text = slackTemplate(incident, timeline, now);
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
    const messageId = randomUUID();
    const inserted = await this.messages.insert({
      id: messageId,
      incidentId: incident.id,
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
        {
          actor: message.createdBy,
          request: { channel: message.channel, text: message.text },
        },
        { actor, request: { channel, text } },
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
    const where = message.channel === 'slack' ? 'Slack' : 'status page';
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
