import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  Incident,
  SEVERITY_MEANING,
  Severity,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import { randomUUID } from 'node:crypto';
import { describeUpstreamError } from '../upstream';
import { IncidentContext, triageOf } from './context';
import type {
  IncidentChanges,
  IncidentUpdate,
  NewTimelineEvent,
} from './store';
import type { DeclareInput, IncidentFilter, UpdateInput } from './types';

const NOTIFICATION_SEVERITY = {
  P1: 'critical',
  P2: 'high',
  P3: 'normal',
  P4: 'low',
} as const;

/**
 * How long a remembered triage severity spares the database. Another replica may declare an
 * incident meanwhile; after this the reading is written again (the store records it once).
 */
const TRIAGE_SEVERITY_MEMORY_MS = 60_000;

/** Declaring, reading and changing incidents; notes; triage readings on the timeline. */
export class LifecycleService {
  /** The last triage severity written per entity, so that repeats skip the database. */
  private readonly triageSeen = new Map<
    string,
    { severity: Severity | 'none'; at: number }
  >();

  constructor(private readonly ctx: IncidentContext) {}

  async get(id: string): Promise<Incident> {
    const incident = await this.ctx.store.getIncident(id);
    if (!incident) throw new NotFoundError(`No incident ${id}`);
    return incident;
  }

  list(filter: IncidentFilter): Promise<Incident[]> {
    return this.ctx.store.listIncidents(filter);
  }

  async declare(input: DeclareInput, actor: string): Promise<Incident> {
    const { store, redact } = this.ctx;
    const existing = await store.openIncidentOf(input.entityRef);
    if (existing) {
      throw new ConflictError(
        `${input.entityRef} already has an open incident (${existing.id})`,
      );
    }
    const { severity, severitySource } = await this.initialSeverity(input);
    const id = randomUUID();
    const commander = input.commander ?? actor;
    const title = redact(input.title);
    const ok = await store.insertIncident(
      {
        id,
        entityRef: input.entityRef,
        integration: input.integration,
        title,
        severity,
        impact: redact(input.impact),
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
    // The new incident has no triage reading yet: the next one is written whatever it is.
    this.triageSeen.delete(input.entityRef);
    const incident = (await store.getIncident(id))!;
    await this.notify(
      incident,
      `Incident declared: [${severity}] ${incident.title}`,
      `${incident.entityRef}: ${incident.impact}`,
      actor,
    );
    return incident;
  }

  /** The given severity, else triage's, else P4; and where it came from, for the timeline. */
  private async initialSeverity(
    input: DeclareInput,
  ): Promise<{ severity: Severity; severitySource: string }> {
    if (input.severity) {
      return { severity: input.severity, severitySource: 'given' };
    }
    let triageSeverity: Severity | null | undefined;
    try {
      triageSeverity = (
        await triageOf(this.ctx, input.entityRef, input.integration)
      )?.severity;
    } catch (error) {
      this.ctx.logger.warn(
        `triage for severity pre-fill failed: ${describeUpstreamError(error)}`,
      );
    }
    return triageSeverity
      ? { severity: triageSeverity, severitySource: 'triage' }
      : { severity: 'P4', severitySource: 'default (triage had none)' };
  }

  /**
   * Applies the changes in one transaction, planned on the incident as it is inside it: a
   * resolved incident is refused there (409), never reopened by a change that read it before.
   */
  async update(
    id: string,
    input: UpdateInput,
    actor: string,
  ): Promise<Incident> {
    const impact =
      input.impact === undefined ? undefined : this.ctx.redact(input.impact);
    const result = await this.ctx.store.changeIncident(id, current =>
      planUpdate(current, { ...input, impact }, actor),
    );
    if (!result) throw new NotFoundError(`No incident ${id}`);
    const { before, after } = result;
    if (after.severity !== before.severity) {
      await this.notify(
        after,
        `Incident severity ${before.severity} -> ${after.severity}: ${after.title}`,
        `${after.entityRef}: ${after.impact}`,
        actor,
      );
    }
    if (after.status === 'resolved' && before.status !== 'resolved') {
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
    incident: Incident,
    text: string,
    actor: string,
  ): Promise<TimelineEvent[]> {
    return this.ctx.store.appendToTimeline(incident.id, {
      kind: 'note',
      actor,
      summary: this.ctx.redact(text),
    });
  }

  timeline(incident: Incident): Promise<TimelineEvent[]> {
    return this.ctx.store.timeline(incident.id);
  }

  /**
   * Call after every triage of an entity: a change of the triaged severity while an incident is
   * open goes on its timeline, once per change. A severity equal to the last one written for the
   * entity does not reach the database (triage is served many times a second). Never throws:
   * triage must answer anyway.
   */
  async noteTriageSeverity(
    entityRef: string,
    severity: Severity | null,
  ): Promise<void> {
    const reading = severity ?? 'none';
    const now = Date.now();
    const seen = this.triageSeen.get(entityRef);
    if (
      seen?.severity === reading &&
      now - seen.at < TRIAGE_SEVERITY_MEMORY_MS
    ) {
      return;
    }
    this.triageSeen.set(entityRef, { severity: reading, at: now });
    try {
      await this.ctx.store.noteTriageSeverity(entityRef, reading, incident =>
        severity
          ? `Triage now reports ${severity} (${SEVERITY_MEANING[severity]}); the incident is ${incident.severity}`
          : `Triage now reports no problem; the incident is ${incident.severity}`,
      );
    } catch (error) {
      // Not written: the next triage tries again.
      this.triageSeen.delete(entityRef);
      this.ctx.logger.warn(
        `could not record the triage severity on the incident timeline: ${describeUpstreamError(
          error,
        )}`,
      );
    }
  }

  /** Tells the entity's owners (Backstage notifications), never the actor; never throws. */
  private async notify(
    incident: Incident,
    title: string,
    description: string,
    actor: string,
  ) {
    const { notifications, redact } = this.ctx;
    if (!notifications) return;
    const [kind, rest] = incident.entityRef.split(':');
    const [namespace, name] = rest.split('/');
    try {
      await notifications.send({
        recipients: {
          type: 'entity',
          entityRef: incident.entityRef,
          excludeEntityRef: actor,
        },
        payload: {
          title: redact(title).slice(0, 200),
          description: redact(description).slice(0, 1000),
          link: `${
            this.ctx.appBaseUrl ?? ''
          }/catalog/${namespace}/${kind}/${name}/vastai-incident`,
          severity: NOTIFICATION_SEVERITY[incident.severity],
          topic: 'vastai-incident',
          scope: `vastai-incident:${incident.id}`,
        },
      });
    } catch (error) {
      this.ctx.logger.warn(
        `notification about incident ${
          incident.id
        } failed: ${describeUpstreamError(error)}`,
      );
    }
  }
}

/**
 * The change an update makes to the incident as it is now: each changed field, one timeline
 * event of the same kind. A resolved incident takes no change: declare a new one.
 */
function planUpdate(
  current: Incident,
  input: UpdateInput,
  actor: string,
): IncidentUpdate {
  if (current.status === 'resolved') {
    throw new ConflictError(
      'The incident is resolved; declare a new one instead',
    );
  }
  const changes: IncidentChanges = {};
  const events: NewTimelineEvent[] = [];
  const change = <K extends keyof UpdateInput>(
    kind: K,
    value: NonNullable<UpdateInput[K]>,
    summary: string,
    detail?: unknown,
  ) => {
    changes[kind] = value;
    events.push({ kind, actor, summary, detail });
  };
  const fromTo = <K extends 'status' | 'severity'>(kind: K) => ({
    from: current[kind],
    to: input[kind],
  });
  if (input.status && input.status !== current.status) {
    change(
      'status',
      input.status,
      `Status: ${current.status} -> ${input.status}`,
      fromTo('status'),
    );
  }
  if (input.severity && input.severity !== current.severity) {
    change(
      'severity',
      input.severity,
      `Severity: ${current.severity} -> ${input.severity} (${
        SEVERITY_MEANING[input.severity]
      })`,
      fromTo('severity'),
    );
  }
  if (input.commander && input.commander !== current.commander) {
    change(
      'commander',
      input.commander,
      `Incident commander: ${current.commander} -> ${input.commander}`,
    );
  }
  if (input.impact !== undefined && input.impact !== current.impact) {
    change('impact', input.impact, `Impact: ${input.impact}`);
  }
  return { changes, events };
}
