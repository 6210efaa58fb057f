import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import {
  SEVERITY_MEANING,
  Severity,
  TriageReport,
} from '@internal/plugin-vastai-incident-common';
import { randomUUID } from 'node:crypto';
import { createRedactor, REDACTED } from '../redact';
import { buildTriageReport, SignalService } from '../service';
import { describeUpstreamError, HttpClient, nodeHttpClient } from '../upstream';
import type { IncidentsConfig, IntegrationCommsConfig } from './commsConfig';
import {
  buildEvidenceBundle,
  EvidenceSources,
  rangeCovering,
} from './evidence';
import { failedRequestsFrom, postmortemMarkdown } from './postmortem';
import { sendSlack, sendStatuspage, SendOutcome } from './senders';
import {
  IncidentChanges,
  IncidentFilter,
  IncidentStore,
  NewTimelineEvent,
} from './store';
import {
  componentStatusOf,
  slackPayload,
  slackTemplate,
  STATUSPAGE_IMPACT,
  statuspageTemplate,
} from './templates';
import type {
  CommChannel,
  CommMessage,
  CommPreview,
  EvidenceBundle,
  Incident,
  IncidentStatus,
  Postmortem,
  TimelineEvent,
} from './types';

export interface IncidentServiceOptions {
  store: IncidentStore;
  logger: LoggerService;
  config: IncidentsConfig;
  /** Triage (severity pre-fill), metrics and logs for evidence and postmortems. */
  signals?: SignalService;
  /** Outbound HTTP for Slack and Statuspage (tests swap it). */
  http?: HttpClient;
  /** Deadline of one Slack / Statuspage call. Default 5000 ms. */
  sendTimeoutMs?: number;
  /** Backstage notifications to entity owners; absent = none sent. */
  notifications?: NotificationService;
  /** The remediation audit rows of an entity, for the evidence bundle. */
  auditRows?: (entityRef: string) => Promise<unknown[]>;
  /** Package versions for the evidence bundle. */
  versions?: () => Record<string, string>;
  /** The app's base URL for links in notifications (e.g. http://localhost:3000). */
  appBaseUrl?: string;
}

export interface DeclareInput {
  entityRef: string;
  integration?: string;
  title: string;
  severity?: Severity;
  impact: string;
  commander?: string;
}

export interface UpdateInput {
  status?: IncidentStatus;
  severity?: Severity;
  commander?: string;
  impact?: string;
}

/** A build with no progress for this long is reported as failed. */
const STALLED_BUILD_MS = 10 * 60_000;

/** A build whose backend went away never finishes: say so rather than spin forever. */
function withStallCheck(bundle: EvidenceBundle): EvidenceBundle {
  if (
    bundle.status === 'building' &&
    Date.now() - Date.parse(bundle.updatedAt) > STALLED_BUILD_MS
  ) {
    return {
      ...bundle,
      status: 'failed',
      reason: 'the build stopped (the backend restarted?); start a new one',
    };
  }
  return bundle;
}

const NOTIFICATION_SEVERITY = {
  P1: 'critical',
  P2: 'high',
  P3: 'normal',
  P4: 'low',
} as const;

function defaultVersions(): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  for (const name of [
    '@internal/plugin-vastai-incident-backend',
    '@backstage/backend-plugin-api',
    '@backstage/backend-defaults',
  ]) {
    try {
      versions[name] = require(`${name}/package.json`).version;
    } catch {
      // not resolvable from here: left out
    }
  }
  return versions;
}

/** Incidents, their timeline, communications, evidence and postmortems. */
export class IncidentService {
  readonly store: IncidentStore;
  private readonly logger: LoggerService;
  private readonly config: IncidentsConfig;
  private readonly signals?: SignalService;
  private readonly http: HttpClient;
  private readonly sendTimeoutMs: number;
  private readonly notifications?: NotificationService;
  private readonly auditRows?: (entityRef: string) => Promise<unknown[]>;
  private readonly versions: () => Record<string, string>;
  private readonly appBaseUrl?: string;
  /** Removes every configured secret (and anything secret-looking) from text. */
  readonly redact: (text: string) => string;
  /** Builds in flight in this process, so tests and shutdown can wait for them. */
  private readonly builds = new Set<Promise<void>>();

  constructor(options: IncidentServiceOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.config = options.config;
    this.signals = options.signals;
    this.http = options.http ?? nodeHttpClient;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 5000;
    this.notifications = options.notifications;
    this.auditRows = options.auditRows;
    this.versions = options.versions ?? defaultVersions;
    this.appBaseUrl = options.appBaseUrl;
    this.redact = createRedactor(options.config.secrets);
  }

  private clean(text: string): string {
    return this.redact(text);
  }

  // ---- triage

  private async triageOf(
    entityRef: string,
    integrationName?: string,
  ): Promise<TriageReport | undefined> {
    const integration = integrationName
      ? this.signals?.integration(integrationName)
      : undefined;
    if (!this.signals || !integration) return undefined;
    return buildTriageReport(this.signals, entityRef, integration);
  }

  // ---- incidents

  async declare(input: DeclareInput, actor: string): Promise<Incident> {
    const existing = await this.store.openIncidentOf(input.entityRef);
    if (existing) {
      throw new ConflictError(
        `${input.entityRef} already has an open incident (${existing.id})`,
      );
    }
    let severity = input.severity;
    let severitySource = 'given';
    let triageSeverity: Severity | null | undefined;
    if (!severity) {
      try {
        triageSeverity = (
          await this.triageOf(input.entityRef, input.integration)
        )?.severity;
      } catch (error) {
        this.logger.warn(
          `triage for severity pre-fill failed: ${describeUpstreamError(
            error,
          )}`,
        );
      }
      severity = triageSeverity ?? 'P4';
      severitySource = triageSeverity ? 'triage' : 'default (triage had none)';
    }
    const id = randomUUID();
    const commander = input.commander ?? actor;
    const title = this.clean(input.title);
    const ok = await this.store.insertIncident(
      {
        id,
        entityRef: input.entityRef,
        integration: input.integration,
        title,
        severity,
        impact: this.clean(input.impact),
        commander,
        declaredBy: actor,
        at: Date.now(),
      },
      {
        kind: 'declared',
        actor,
        summary: `Incident declared: ${title} (${severity}, severity ${severitySource}); commander ${commander}`,
        detail: { severity, severitySource, commander },
      },
    );
    if (!ok) {
      throw new ConflictError(
        `${input.entityRef} already has an open incident`,
      );
    }
    const incident = (await this.store.getIncident(id))!;
    await this.notify(
      incident,
      `Incident declared: [${severity}] ${incident.title}`,
      `${incident.entityRef}: ${incident.impact}`,
      actor,
    );
    return incident;
  }

  async get(id: string): Promise<Incident> {
    const incident = await this.store.getIncident(id);
    if (!incident) throw new NotFoundError(`No incident ${id}`);
    return incident;
  }

  list(filter: IncidentFilter): Promise<Incident[]> {
    return this.store.listIncidents(filter);
  }

  async update(
    id: string,
    input: UpdateInput,
    actor: string,
  ): Promise<Incident> {
    const before = await this.get(id);
    if (before.status === 'resolved') {
      throw new ConflictError(
        'The incident is resolved; declare a new one instead',
      );
    }
    const changes: IncidentChanges = {};
    const events: NewTimelineEvent[] = [];
    if (input.status && input.status !== before.status) {
      changes.status = input.status;
      events.push({
        kind: 'status',
        actor,
        summary: `Status: ${before.status} -> ${input.status}`,
        detail: { from: before.status, to: input.status },
      });
    }
    if (input.severity && input.severity !== before.severity) {
      changes.severity = input.severity;
      events.push({
        kind: 'severity',
        actor,
        summary: `Severity: ${before.severity} -> ${input.severity} (${
          SEVERITY_MEANING[input.severity]
        })`,
        detail: { from: before.severity, to: input.severity },
      });
    }
    if (input.commander && input.commander !== before.commander) {
      changes.commander = input.commander;
      events.push({
        kind: 'commander',
        actor,
        summary: `Incident commander: ${before.commander} -> ${input.commander}`,
      });
    }
    if (input.impact !== undefined) {
      const impact = this.clean(input.impact);
      if (impact !== before.impact) {
        changes.impact = impact;
        events.push({ kind: 'impact', actor, summary: `Impact: ${impact}` });
      }
    }
    if (!events.length) return before;
    const after = (await this.store.updateIncident(id, changes, events))!;
    if (changes.severity) {
      await this.notify(
        after,
        `Incident severity ${before.severity} -> ${after.severity}: ${after.title}`,
        `${after.entityRef}: ${after.impact}`,
        actor,
      );
    }
    if (changes.status === 'resolved') {
      await this.notify(
        after,
        `Incident resolved: ${after.title}`,
        `${after.entityRef}, after ${Math.round(
          (Date.parse(after.resolvedAt!) - Date.parse(after.declaredAt)) /
            60_000,
        )} min`,
        actor,
      );
    }
    return after;
  }

  async addNote(
    id: string,
    text: string,
    actor: string,
  ): Promise<TimelineEvent[]> {
    const incident = await this.get(id);
    await this.store.addEvent(incident.id, {
      kind: 'note',
      actor,
      summary: this.clean(text),
    });
    return this.store.timeline(incident.id);
  }

  async timeline(id: string): Promise<TimelineEvent[]> {
    await this.get(id);
    return this.store.timeline(id);
  }

  /**
   * Call after every triage of an entity: a change of the triaged severity while an incident is
   * open goes on its timeline, once per change. Never throws (triage must answer anyway).
   */
  async noteTriageSeverity(
    entityRef: string,
    severity: Severity | null,
  ): Promise<void> {
    try {
      await this.store.noteTriageSeverity(
        entityRef,
        severity ?? 'none',
        incident =>
          severity
            ? `Triage now reports ${severity} (${SEVERITY_MEANING[severity]}); the incident is ${incident.severity}`
            : `Triage now reports no problem; the incident is ${incident.severity}`,
      );
    } catch (error) {
      this.logger.warn(
        `could not record the triage severity on the incident timeline: ${describeUpstreamError(
          error,
        )}`,
      );
    }
  }

  // ---- notifications

  private async notify(
    incident: Incident,
    title: string,
    description: string,
    actor: string,
  ) {
    if (!this.notifications) return;
    const [kind, rest] = incident.entityRef.split(':');
    const [namespace, name] = rest.split('/');
    try {
      await this.notifications.send({
        recipients: {
          type: 'entity',
          entityRef: incident.entityRef,
          excludeEntityRef: actor,
        },
        payload: {
          title: this.clean(title).slice(0, 200),
          description: this.clean(description).slice(0, 1000),
          link: `${
            this.appBaseUrl ?? ''
          }/catalog/${namespace}/${kind}/${name}/vastai-incident`,
          severity: NOTIFICATION_SEVERITY[incident.severity],
          topic: 'vastai-incident',
          scope: `vastai-incident:${incident.id}`,
        },
      });
    } catch (error) {
      this.logger.warn(
        `notification about incident ${
          incident.id
        } failed: ${describeUpstreamError(error)}`,
      );
    }
  }

  // ---- communications

  private comms(incident: Incident): IntegrationCommsConfig {
    return (
      (incident.integration && this.config.comms.get(incident.integration)) ||
      {}
    );
  }

  private unavailable(incident: Incident, channel: CommChannel) {
    const comms = this.comms(incident);
    if (channel === 'slack' && !comms.slack) {
      return `no Slack webhook is configured for integration "${
        incident.integration ?? '-'
      }"`;
    }
    if (channel === 'statuspage' && !comms.statuspage) {
      return `no status page is configured for integration "${
        incident.integration ?? '-'
      }"`;
    }
    return undefined;
  }

  async preview(id: string, channel: CommChannel): Promise<CommPreview> {
    const incident = await this.get(id);
    const now = new Date();
    const unavailableReason = this.unavailable(incident, channel);
    if (channel === 'slack') {
      const timeline = await this.store.timeline(id);
      const text = slackTemplate(incident, timeline, now);
      return {
        channel,
        text,
        blocks: slackPayload(incident, text).blocks,
        unavailableReason,
      };
    }
    return {
      channel,
      text: statuspageTemplate(incident, now),
      statuspage: {
        action: incident.statuspageIncidentId ? 'update' : 'create',
        status: incident.status,
        impact: STATUSPAGE_IMPACT[incident.severity],
        componentStatus: componentStatusOf(incident),
      },
      unavailableReason,
    };
  }

  listMessages(id: string): Promise<CommMessage[]> {
    return this.get(id).then(i => this.store.listMessages(i.id));
  }

  /**
   * Stores the message first (nothing is lost whatever the upstream does), then sends it.
   * The answer is the stored message: `sent`, or `failed` with the reason and retryable.
   */
  async send(
    id: string,
    channel: CommChannel,
    rawText: string,
    actor: string,
  ): Promise<CommMessage> {
    const incident = await this.get(id);
    const unavailable = this.unavailable(incident, channel);
    if (unavailable) throw new ConflictError(`Cannot send: ${unavailable}`);
    const text = this.clean(rawText);
    const payload: Record<string, unknown> =
      channel === 'slack'
        ? slackPayload(incident, text)
        : {
            name: incident.title,
            status: incident.status,
            body: text,
            impact_override: STATUSPAGE_IMPACT[incident.severity],
            componentStatus: componentStatusOf(incident),
          };
    const messageId = randomUUID();
    await this.store.insertMessage({
      id: messageId,
      incidentId: incident.id,
      channel,
      text,
      payload,
      createdBy: actor,
      at: Date.now(),
    });
    return this.attempt(messageId, actor, false);
  }

  async retry(
    id: string,
    messageId: string,
    actor: string,
  ): Promise<CommMessage> {
    const incident = await this.get(id);
    const message = await this.store.getMessage(messageId);
    if (!message || message.incidentId !== incident.id) {
      throw new NotFoundError(`No message ${messageId} on incident ${id}`);
    }
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
    return this.attempt(messageId, actor, true);
  }

  private async attempt(
    messageId: string,
    actor: string,
    isRetry: boolean,
  ): Promise<CommMessage> {
    if (isRetry && !(await this.store.claimMessage(messageId, ['failed']))) {
      throw new ConflictError('This message is being sent already');
    }
    const message = (await this.store.getMessage(messageId))!;
    const incident = await this.get(message.incidentId);
    const comms = this.comms(incident);
    const options = {
      http: this.http,
      timeoutMs: this.sendTimeoutMs,
      redact: this.redact,
    };
    let outcome: SendOutcome;
    let createdStatuspageId: string | undefined;
    if (message.channel === 'slack') {
      outcome = comms.slack
        ? await sendSlack(
            options,
            comms.slack,
            message.payload as { text: string; blocks: unknown[] },
          )
        : { ok: false, reason: 'Slack is not configured', retryable: true };
    } else if (comms.statuspage) {
      const sp = comms.statuspage;
      const p = message.payload as Record<string, string>;
      const components = sp.componentId
        ? { [sp.componentId]: p.componentStatus }
        : undefined;
      const existing = incident.statuspageIncidentId;
      outcome = await sendStatuspage(
        options,
        sp,
        existing,
        existing
          ? {
              status: p.status,
              body: p.body,
              ...(components ? { components } : {}),
            }
          : {
              name: p.name,
              status: p.status,
              body: p.body,
              impact_override: p.impact_override,
              ...(sp.componentId
                ? { component_ids: [sp.componentId], components }
                : {}),
              deliver_notifications: true,
            },
      );
      if (outcome.ok && !existing) createdStatuspageId = outcome.upstreamId;
    } else {
      outcome = {
        ok: false,
        reason: 'the status page is not configured',
        retryable: true,
      };
    }
    const where = message.channel === 'slack' ? 'Slack' : 'status page';
    const excerpt = message.text.replace(/\s+/g, ' ').slice(0, 200);
    const now = Date.now();
    if (outcome.ok) {
      return this.store.finishAttempt(
        messageId,
        {
          status: 'sent',
          retryable: false,
          upstreamStatus: outcome.upstreamStatus,
        },
        {
          kind: 'message',
          actor,
          summary: `${isRetry ? 'Retried and sent' : 'Sent'} to ${where}${
            createdStatuspageId ? ' (status page incident created)' : ''
          }: ${excerpt}`,
          detail: {
            messageId,
            channel: message.channel,
            status: 'sent',
            attempt: message.attempts + 1,
          },
        },
        createdStatuspageId
          ? { statuspageIncidentId: createdStatuspageId }
          : undefined,
      );
    }
    const reason = this.clean(outcome.reason);
    return this.store.finishAttempt(
      messageId,
      {
        status: 'failed',
        reason,
        retryable: outcome.retryable,
        retryAfterMs:
          outcome.retryAfterMs !== undefined
            ? now + outcome.retryAfterMs
            : undefined,
        upstreamStatus: outcome.upstreamStatus,
      },
      {
        kind: 'message',
        actor,
        summary: `Sending to ${where} failed (${reason})${
          outcome.retryable ? '; retryable' : ''
        }: ${excerpt}`,
        detail: {
          messageId,
          channel: message.channel,
          status: 'failed',
          attempt: message.attempts + 1,
          upstreamStatus: outcome.upstreamStatus,
        },
      },
    );
  }

  // ---- evidence

  private redactedConfig(incident: Incident): unknown {
    const integration = incident.integration
      ? this.signals?.integration(incident.integration)
      : undefined;
    const comms = this.comms(incident);
    return {
      integration: integration ?? { name: incident.integration ?? null },
      slack: comms.slack ? { webhookUrl: REDACTED } : null,
      statuspage: comms.statuspage
        ? {
            apiBaseUrl: comms.statuspage.apiBaseUrl,
            pageId: comms.statuspage.pageId,
            componentId: comms.statuspage.componentId ?? null,
            apiKey: REDACTED,
          }
        : null,
    };
  }

  private sources(incident: Incident): EvidenceSources {
    const integration = incident.integration
      ? this.signals?.integration(incident.integration)
      : undefined;
    const signals = this.signals;
    const noIntegration = () =>
      Promise.reject(new Error('the integration is not configured'));
    return {
      triage: () => this.triageOf(incident.entityRef, incident.integration),
      logs: since =>
        signals && integration
          ? signals.logs(integration, since)
          : noIntegration(),
      metricRange: (queryId, range) =>
        signals && integration
          ? signals.metricRange(integration, queryId, range)
          : noIntegration(),
      auditRows: this.auditRows
        ? async () => {
            const rows = await this.auditRows!(incident.entityRef);
            const from = Date.parse(incident.declaredAt) - 15 * 60_000;
            // Rows of the actions module carry startedAt; keep those of the window.
            return rows.filter(row => {
              const started = Date.parse(String((row as any)?.startedAt ?? ''));
              return !Number.isFinite(started) || started >= from;
            });
          }
        : undefined,
      redactedConfig: () => this.redactedConfig(incident),
      versions: () => this.versions(),
    };
  }

  async startEvidence(id: string, actor: string): Promise<EvidenceBundle> {
    const incident = await this.get(id);
    const bundleId = randomUUID();
    await this.store.insertBundle({
      id: bundleId,
      incidentId: incident.id,
      createdBy: actor,
      at: Date.now(),
    });
    const build = this.buildEvidence(incident, bundleId, actor).finally(() =>
      this.builds.delete(build),
    );
    this.builds.add(build);
    return (await this.store.getBundle(bundleId))!;
  }

  private async buildEvidence(
    incident: Incident,
    bundleId: string,
    actor: string,
  ) {
    try {
      const timeline = await this.store.timeline(incident.id);
      const content = await buildEvidenceBundle({
        incident,
        timeline,
        sources: this.sources(incident),
        redact: this.redact,
        limits: { maxBundleBytes: this.config.maxEvidenceBytes },
        onProgress: progress => this.store.updateBundle(bundleId, { progress }),
      });
      await this.store.updateBundle(bundleId, {
        status: 'ready',
        progress: 100,
        content,
      });
      await this.store.addEvent(incident.id, {
        kind: 'evidence',
        actor,
        summary: `Evidence bundle built (${Math.ceil(
          content.length / 1024,
        )} KiB)`,
        detail: { bundleId, sizeBytes: content.length },
      });
    } catch (error) {
      const reason = describeUpstreamError(error);
      this.logger.warn(`evidence bundle ${bundleId} failed: ${reason}`);
      await this.store
        .updateBundle(bundleId, { status: 'failed', reason })
        .catch(() => undefined);
    }
  }

  /** Waits for the evidence builds of this process (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.builds]);
  }

  async bundle(id: string, bundleId: string): Promise<EvidenceBundle> {
    const bundle = await this.store.getBundle(bundleId);
    if (!bundle || bundle.incidentId !== id) {
      throw new NotFoundError(
        `No evidence bundle ${bundleId} on incident ${id}`,
      );
    }
    return withStallCheck(bundle);
  }

  async listBundles(id: string): Promise<EvidenceBundle[]> {
    await this.get(id);
    return (await this.store.listBundles(id)).map(withStallCheck);
  }

  async bundleContent(id: string, bundleId: string): Promise<Buffer> {
    const bundle = await this.bundle(id, bundleId);
    if (bundle.status !== 'ready') {
      throw new ConflictError(`The evidence bundle is ${bundle.status}`);
    }
    const content = await this.store.bundleContent(bundleId);
    if (!content) throw new NotFoundError('The evidence bundle has no content');
    return content;
  }

  // ---- postmortem

  async postmortem(id: string): Promise<Postmortem> {
    const incident = await this.get(id);
    const saved = await this.store.getPostmortem(id);
    if (saved) return saved;
    return {
      incidentId: id,
      markdown: await this.draftPostmortem(incident),
      saved: false,
    };
  }

  private async draftPostmortem(incident: Incident): Promise<string> {
    const timeline = await this.store.timeline(incident.id);
    const now = Date.now();
    const from = Date.parse(incident.declaredAt);
    const to = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
    const integration = incident.integration
      ? this.signals?.integration(incident.integration)
      : undefined;
    let response;
    if (this.signals && integration) {
      try {
        response = await this.signals.metricRange(
          integration,
          'errors-by-class',
          rangeCovering(now - from),
        );
      } catch (error) {
        this.logger.warn(
          `postmortem metrics failed: ${describeUpstreamError(error)}`,
        );
      }
    }
    const failed = failedRequestsFrom(
      response,
      Math.floor(from / 1000),
      Math.ceil(to / 1000),
    );
    return this.clean(postmortemMarkdown({ incident, timeline, failed, now }));
  }

  async savePostmortem(
    id: string,
    markdown: string,
    actor: string,
  ): Promise<Postmortem> {
    await this.get(id);
    return this.store.savePostmortem(id, this.clean(markdown), actor, {
      kind: 'postmortem',
      actor,
      summary: 'Postmortem saved',
    });
  }
}
