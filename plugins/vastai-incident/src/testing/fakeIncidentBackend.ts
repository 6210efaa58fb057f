/*
 * An in-memory stand-in for the backend's `/v1/incidents` routes, behind a fetch function:
 * stateful, so a component test sees the consequences of what it clicks.
 */
import {
  CommMessage,
  EvidenceBundle,
  Incident,
  pagerDutyState,
  pagerDutyUnavailable,
  PAGING_SEVERITY,
  PagerDutyAction,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import { errorResponse, fakeResponse } from './responses';

export interface FakeRequest {
  method: string;
  path: string;
  body?: any;
}

export class FakeIncidentBackend {
  incidents: Incident[] = [];
  timeline: TimelineEvent[] = [];
  messages: CommMessage[] = [];
  bundles: EvidenceBundle[] = [];
  postmortems = new Map<
    string,
    { markdown: string; updatedBy: string; updatedAt: string }
  >();
  requests: FakeRequest[] = [];
  /** The next sends to a channel fail with this upstream status (one entry per attempt). */
  failures: Record<string, number[]> = {
    slack: [],
    statuspage: [],
    pagerduty: [],
  };
  /** Whether the incident's integration has a PagerDuty routing key. */
  pagerdutyConfigured = true;
  user = 'user:default/jane';
  /** How far a building bundle may get (a test holds it at a step to look at it). */
  evidenceProgressLimit = 100;
  private seq = 0;

  constructor(readonly entityRef = 'component:default/vastai-integration') {}
  private clock = Date.parse('2026-11-28T22:00:00Z');

  private now() {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  private id() {
    this.seq += 1;
    return `00000000-0000-4000-8000-${String(this.seq).padStart(12, '0')}`;
  }

  private event(incidentId: string, kind: string, summary: string) {
    this.timeline.push({
      id: this.timeline.length + 1,
      incidentId,
      at: this.now(),
      kind,
      actor: this.user,
      summary,
    });
  }

  /** Adds an incident directly, as if declared earlier. */
  seed(partial: Partial<Incident> = {}): Incident {
    const declaredAt = partial.declaredAt ?? new Date().toISOString();
    const incident: Incident = {
      id: this.id(),
      entityRef: this.entityRef,
      title: 'Vast.ai API outage',
      severity: 'P1',
      status: 'investigating',
      impact: 'GPU rentals fail',
      commander: this.user,
      declaredBy: this.user,
      declaredAt,
      updatedAt: declaredAt,
      responseDueAt: new Date(
        Date.parse(declaredAt) + 15 * 60_000,
      ).toISOString(),
      overdue: false,
      ...partial,
    };
    this.incidents.unshift(incident);
    this.event(incident.id, 'declared', `Incident declared: ${incident.title}`);
    return incident;
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const path = url.pathname.replace('/api/vastai-incident/v1', '');
    this.requests.push({ method, path: `${path}${url.search}`, body });
    return this.route(method, path, url.searchParams, body);
  };

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: any,
  ): Response {
    if (path === '/incidents' && method === 'GET') {
      const ref = query.get('entityRef');
      return fakeResponse(200, {
        items: this.incidents.filter(i => !ref || i.entityRef === ref),
      });
    }
    if (path === '/incidents' && method === 'POST') {
      if (
        this.incidents.some(
          i => i.entityRef === body.entityRef && i.status !== 'resolved',
        )
      ) {
        return errorResponse(409, 'already has an open incident');
      }
      const incident = this.seed({
        entityRef: body.entityRef,
        title: body.title,
        impact: body.impact,
        severity: body.severity ?? 'P4',
        commander: body.commander ?? this.user,
      });
      return fakeResponse(201, incident);
    }
    const m = /^\/incidents\/([^/]+)(?:\/(.*))?$/.exec(path);
    const incident = m && this.incidents.find(i => i.id === m[1]);
    if (!m || !incident)
      return errorResponse(404, `no route ${method} ${path}`);
    const sub = m[2] ?? '';
    const id = incident.id;

    if (sub === '' && method === 'GET') {
      return fakeResponse(200, {
        ...incident,
        timeline: this.timeline.filter(e => e.incidentId === id),
        messages: this.messages.filter(x => x.incidentId === id),
        evidence: this.bundles.filter(b => b.incidentId === id).reverse(),
      });
    }
    if (sub === '' && method === 'PATCH') {
      if (incident.status === 'resolved') return errorResponse(409, 'resolved');
      if (body.status && body.status !== incident.status) {
        this.event(
          id,
          'status',
          `Status: ${incident.status} -> ${body.status}`,
        );
        incident.status = body.status;
        incident.respondedAt ??= this.now();
        if (body.status === 'resolved') {
          incident.resolvedAt = this.now();
          // As the backend does: resolving the incident resolves its open page.
          const state = pagerDutyState(this.messagesOf(id));
          if (state === 'triggered' || state === 'acknowledged') {
            this.sendPagerDuty(incident, 'resolve');
          }
        }
      }
      if (body.severity && body.severity !== incident.severity) {
        this.event(
          id,
          'severity',
          `Severity: ${incident.severity} -> ${body.severity}`,
        );
        incident.severity = body.severity;
      }
      if (body.commander && body.commander !== incident.commander) {
        this.event(id, 'commander', `Incident commander: ${body.commander}`);
        incident.commander = body.commander;
      }
      incident.updatedAt = this.now();
      return fakeResponse(200, incident);
    }
    if (sub === 'notes' && method === 'POST') {
      this.event(id, 'note', body.text);
      return fakeResponse(201, {
        items: this.timeline.filter(e => e.incidentId === id),
      });
    }
    if (sub === 'comms/pagerduty' && method === 'GET') {
      return fakeResponse(200, this.pagerDutyStatus(incident));
    }
    if (sub === 'comms/pagerduty/preview') {
      const action = query.get('action') as PagerDutyAction;
      return fakeResponse(200, {
        channel: 'pagerduty',
        action,
        text: `[${incident.severity}] ${incident.title} (${incident.entityRef})`,
        event: { event_action: action, dedup_key: id },
        unavailableReason: this.pagerDutyStatus(incident).unavailable[action],
      });
    }
    if (sub === 'comms/pagerduty' && method === 'POST') {
      const why =
        this.pagerDutyStatus(incident).unavailable[
          body.action as PagerDutyAction
        ];
      if (why) return errorResponse(409, `Cannot ${body.action}: ${why}`);
      return fakeResponse(
        201,
        this.sendPagerDuty(incident, body.action, body.text),
      );
    }
    if (sub === 'comms/preview') {
      const channel = query.get('channel');
      return fakeResponse(200, {
        channel,
        text: `[${incident.severity}] ${incident.title} (${channel} template): status ${incident.status}`,
        ...(channel === 'statuspage'
          ? {
              statuspage: {
                action: incident.statuspageIncidentId ? 'update' : 'create',
                status: incident.status,
                impact: 'critical',
                componentStatus: 'major_outage',
              },
            }
          : {}),
      });
    }
    if (sub === 'comms' && method === 'POST') {
      const message: CommMessage = {
        id: this.id(),
        incidentId: id,
        channel: body.channel,
        text: body.text,
        payload: {},
        status: 'sending',
        attempts: 0,
        retryable: true,
        createdBy: this.user,
        createdAt: this.now(),
        updatedAt: this.now(),
      };
      this.messages.push(message);
      this.attempt(message);
      return fakeResponse(201, message);
    }
    const retry = /^comms\/([^/]+)\/retry$/.exec(sub);
    if (retry && method === 'POST') {
      const message = this.messages.find(x => x.id === retry[1]);
      if (!message) return errorResponse(404, 'no message');
      if (message.status !== 'failed') return errorResponse(409, 'not failed');
      this.attempt(message);
      return fakeResponse(200, message);
    }
    if (sub === 'evidence' && method === 'POST') {
      const bundle: EvidenceBundle = {
        id: this.id(),
        incidentId: id,
        status: 'building',
        progress: 0,
        createdBy: this.user,
        createdAt: this.now(),
        updatedAt: this.now(),
      };
      this.bundles.push(bundle);
      return fakeResponse(202, { ...bundle });
    }
    const bundleMatch = /^evidence\/([^/]+)(\/download)?$/.exec(sub);
    if (bundleMatch) {
      const bundle = this.bundles.find(b => b.id === bundleMatch[1]);
      if (!bundle) return errorResponse(404, 'no bundle');
      if (bundleMatch[2]) {
        if (bundle.status !== 'ready') return errorResponse(409, 'not ready');
        return fakeResponse(200, new Blob(['tar-gz-bytes']), {
          'content-type': 'application/gzip',
          'content-disposition': `attachment; filename="incident-${id}-evidence-${bundle.id}.tar.gz"`,
        });
      }
      // Every read advances the build by half, so progress is seen before "ready".
      if (bundle.status === 'building') {
        bundle.progress = Math.min(
          this.evidenceProgressLimit,
          bundle.progress + 50,
        );
        if (bundle.progress === 100) {
          bundle.status = 'ready';
          bundle.sizeBytes = 2048;
        }
        bundle.updatedAt = this.now();
      }
      return fakeResponse(200, { ...bundle });
    }
    if (sub === 'postmortem' && method === 'GET') {
      const saved = this.postmortems.get(id);
      return fakeResponse(200, {
        incidentId: id,
        markdown:
          saved?.markdown ??
          `# Postmortem: ${incident.title}\n\n## Timeline\n\n${this.timeline
            .filter(e => e.incidentId === id)
            .map(e => `- ${e.summary}`)
            .join('\n')}\n`,
        saved: !!saved,
        ...(saved
          ? { updatedBy: saved.updatedBy, updatedAt: saved.updatedAt }
          : {}),
      });
    }
    if (sub === 'postmortem' && method === 'PUT') {
      const saved = {
        markdown: body.markdown,
        updatedBy: this.user,
        updatedAt: this.now(),
      };
      this.postmortems.set(id, saved);
      this.event(id, 'postmortem', 'Postmortem saved');
      return fakeResponse(200, { incidentId: id, saved: true, ...saved });
    }
    if (sub === 'postmortem/download') {
      const saved = this.postmortems.get(id);
      return fakeResponse(200, new Blob([saved?.markdown ?? '# draft']), {
        'content-type': 'text/markdown',
        'content-disposition': `attachment; filename="postmortem-${id}.md"`,
      });
    }
    return errorResponse(404, `no route ${method} ${path}`);
  }

  private messagesOf(incidentId: string) {
    return this.messages.filter(x => x.incidentId === incidentId);
  }

  private pagerDutyStatus(incident: Incident) {
    const state = pagerDutyState(this.messagesOf(incident.id));
    return {
      configured: this.pagerdutyConfigured,
      state,
      dedupKey: incident.id,
      severity: PAGING_SEVERITY[incident.severity],
      unavailable: pagerDutyUnavailable(
        incident,
        state,
        this.pagerdutyConfigured
          ? undefined
          : 'no PagerDuty routing key is configured for integration "vastai-integration"',
      ),
    };
  }

  private sendPagerDuty(
    incident: Incident,
    action: PagerDutyAction,
    text?: string,
  ): CommMessage {
    const message: CommMessage = {
      id: this.id(),
      incidentId: incident.id,
      channel: 'pagerduty',
      text: text ?? `${action} the PagerDuty page`,
      payload: { event_action: action, dedup_key: incident.id },
      status: 'sending',
      attempts: 0,
      retryable: true,
      createdBy: this.user,
      createdAt: this.now(),
      updatedAt: this.now(),
    };
    this.messages.push(message);
    this.attempt(message);
    return message;
  }

  private attempt(message: CommMessage) {
    message.attempts += 1;
    const failure = this.failures[message.channel].shift();
    if (failure) {
      message.status = 'failed';
      message.upstreamStatus = failure;
      message.reason =
        failure === 429
          ? 'Rate limited by Slack'
          : `Upstream answered ${failure}`;
    } else {
      message.status = 'sent';
      message.reason = undefined;
      message.upstreamStatus = undefined;
      this.event(
        message.incidentId,
        'message',
        `${message.channel} message sent: ${message.text}`,
      );
    }
    message.updatedAt = this.now();
  }
}
