import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type {
  CommChannel,
  CommMessage,
  CommPreview,
  EvidenceBundle,
  Incident,
  PagerDutyAction,
  PagerDutyPreview,
  PagerDutyStatus,
  Postmortem,
  Severity,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import { CommsService } from './commsService';
import {
  createIncidentContext,
  IncidentContext,
  IncidentServiceOptions,
} from './context';
import { EvidenceService } from './evidenceService';
import { LifecycleService } from './lifecycleService';
import { PostmortemService } from './postmortemService';
import type { IncidentStore } from './store';
import type { DeclareInput, IncidentFilter, UpdateInput } from './types';

export type { IncidentServiceOptions } from './context';
export type { DeclareInput, UpdateInput } from './types';

/**
 * Incidents, their timeline, communications, evidence and postmortems: the one entry the router
 * and the plugin use. Each method resolves the incident id once (404 when unknown) and hands the
 * incident to the role service that does the work.
 */
export class IncidentService {
  readonly store: IncidentStore;
  /** Removes every configured secret (and anything secret-looking) from text. */
  readonly redact: (text: string) => string;
  private readonly lifecycle: LifecycleService;
  private readonly comms: CommsService;
  private readonly evidence: EvidenceService;
  private readonly postmortems: PostmortemService;

  constructor(options: IncidentServiceOptions) {
    const ctx: IncidentContext = createIncidentContext(options);
    this.store = ctx.store;
    this.redact = ctx.redact;
    this.lifecycle = new LifecycleService(ctx);
    this.comms = new CommsService(ctx);
    this.evidence = new EvidenceService(ctx);
    this.postmortems = new PostmortemService(ctx);
  }

  // ---- incidents

  declare(input: DeclareInput, actor: string): Promise<Incident> {
    return this.lifecycle.declare(input, actor);
  }

  get(id: string): Promise<Incident> {
    return this.lifecycle.get(id);
  }

  list(filter: IncidentFilter): Promise<Incident[]> {
    return this.lifecycle.list(filter);
  }

  /**
   * Changes the incident in one transaction; a resolved incident is refused (409). Resolving
   * it resolves its open PagerDuty page (a failure of that is on the timeline, never thrown).
   */
  async update(
    id: string,
    input: UpdateInput,
    actor: string,
  ): Promise<Incident> {
    const after = await this.lifecycle.update(id, input, actor);
    if (input.status === 'resolved' && after.status === 'resolved') {
      await this.comms.resolvePagerDutyOnResolution(after, actor);
    }
    return after;
  }

  async addNote(
    id: string,
    text: string,
    actor: string,
  ): Promise<TimelineEvent[]> {
    return this.lifecycle.addNote(await this.get(id), text, actor);
  }

  async timeline(id: string): Promise<TimelineEvent[]> {
    return this.lifecycle.timeline(await this.get(id));
  }

  /**
   * Call after every triage of an entity: a change of the triaged severity while an incident is
   * open goes on its timeline, once per change; a repeat of the last severity seen for the
   * entity does not touch the database. Never throws.
   */
  noteTriageSeverity(
    entityRef: string,
    severity: Severity | null,
  ): Promise<void> {
    return this.lifecycle.noteTriageSeverity(entityRef, severity);
  }

  // ---- communications

  async preview(
    id: string,
    channel: CommChannel,
    credentials?: BackstageCredentials,
  ): Promise<CommPreview> {
    return this.comms.preview(await this.get(id), channel, credentials);
  }

  async listMessages(id: string): Promise<CommMessage[]> {
    return this.comms.list(await this.get(id));
  }

  /**
   * Stores the message, then sends it: `sent`, or `failed` with the reason and retryable. The
   * Idempotency-Key (required) makes a replay return the stored message, never send twice.
   */
  async send(
    id: string,
    channel: CommChannel,
    rawText: string,
    actor: string,
    idempotencyKey?: string,
  ): Promise<CommMessage> {
    const incident = await this.get(id);
    return this.comms.send(incident, channel, rawText, actor, idempotencyKey);
  }

  /** Sends a failed message again; with an Idempotency-Key, a replay sends nothing more. */
  async retry(
    id: string,
    messageId: string,
    actor: string,
    idempotencyKey?: string,
  ): Promise<CommMessage> {
    const incident = await this.get(id);
    return this.comms.retry(incident, messageId, actor, idempotencyKey);
  }

  // ---- PagerDuty

  async pagerDutyStatus(id: string): Promise<PagerDutyStatus> {
    return this.comms.pagerDutyStatus(await this.get(id));
  }

  async previewPagerDuty(
    id: string,
    action: PagerDutyAction,
  ): Promise<PagerDutyPreview> {
    return this.comms.previewPagerDuty(await this.get(id), action);
  }

  /** Sends a PagerDuty event (trigger, acknowledge, resolve) as a message: stored, sent once per key. */
  async sendPagerDuty(
    id: string,
    action: PagerDutyAction,
    text: string | undefined,
    actor: string,
    idempotencyKey?: string,
  ): Promise<CommMessage> {
    const incident = await this.get(id);
    return this.comms.sendPagerDuty(
      incident,
      action,
      text,
      actor,
      idempotencyKey,
    );
  }

  // ---- evidence

  async startEvidence(id: string, actor: string): Promise<EvidenceBundle> {
    return this.evidence.start(await this.get(id), actor);
  }

  /** Waits for the evidence builds of this process (tests, shutdown). */
  settle(): Promise<void> {
    return this.evidence.settle();
  }

  async bundle(id: string, bundleId: string): Promise<EvidenceBundle> {
    return this.evidence.bundle(await this.get(id), bundleId);
  }

  async listBundles(id: string): Promise<EvidenceBundle[]> {
    return this.evidence.list(await this.get(id));
  }

  async bundleContent(id: string, bundleId: string): Promise<Buffer> {
    return this.evidence.content(await this.get(id), bundleId);
  }

  // ---- postmortem

  async postmortem(id: string): Promise<Postmortem> {
    return this.postmortems.get(await this.get(id));
  }

  async savePostmortem(
    id: string,
    markdown: string,
    actor: string,
  ): Promise<Postmortem> {
    return this.postmortems.save(await this.get(id), markdown, actor);
  }
}
