import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  InvalidJson,
  pathOf,
  readJson,
  sendJson,
  sendText,
  SimulatedServer,
} from '../http/server';
import {
  PagerDutyAlert,
  PagerDutyAlerts,
  pagerDutyEventErrors,
  PagerDutyEventRecord,
  routingKeyFingerprint,
} from './pagerduty';

/** Records kept per receiver (a long demo must not grow without bound). */
const MAX_RECORDS = 1000;
function keepLast<T>(list: T[], item: T) {
  list.push(item);
  if (list.length > MAX_RECORDS) list.splice(0, list.length - MAX_RECORDS);
}

export type ReceiverFailure = 429 | 500 | null;

export interface SlackMessage {
  at: string;
  webhookId: string;
  body: unknown;
  status: number;
}

export interface StatuspageRequest {
  at: string;
  method: 'POST' | 'PATCH';
  pageId: string;
  incidentId?: string;
  body: unknown;
  status: number;
}

export interface ReceiverFailures {
  slack: ReceiverFailure;
  statuspage: ReceiverFailure;
  pagerduty: ReceiverFailure;
}

/**
 * Receivers for the product's outbound communications: Slack incoming webhooks, the Statuspage
 * write API and PagerDuty's Events API v2. They record what they get (never the Authorization
 * header, never a routing key: its fingerprint) and answer like the real ones.
 */
export class Receivers extends SimulatedServer {
  private slack: SlackMessage[] = [];
  private statuspage: StatuspageRequest[] = [];
  private incidents = new Map<string, Record<string, any>>();
  private pagerduty: PagerDutyEventRecord[] = [];
  private alerts = new PagerDutyAlerts();
  private failure: ReceiverFailures = {
    slack: null,
    statuspage: null,
    pagerduty: null,
  };

  setFailure(f: Partial<ReceiverFailures>) {
    this.failure = { ...this.failure, ...f };
  }

  getFailure() {
    return { ...this.failure };
  }

  slackMessages(): SlackMessage[] {
    return [...this.slack];
  }

  statuspageRequests(): StatuspageRequest[] {
    return [...this.statuspage];
  }

  /** The PagerDuty events received, valid or not, oldest first. */
  pagerdutyEvents(): PagerDutyEventRecord[] {
    return [...this.pagerduty];
  }

  /** The PagerDuty alerts the accepted events opened, acknowledged or resolved. */
  pagerdutyAlerts(): PagerDutyAlert[] {
    return this.alerts.list();
  }

  clear() {
    this.slack = [];
    this.statuspage = [];
    this.incidents.clear();
    this.pagerduty = [];
    this.alerts.clear();
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const { path } = pathOf(req);
    const method = req.method ?? 'GET';
    const slack = /^\/slack\/webhook\/([^/]+)$/.exec(path);
    if (slack && method === 'POST') return this.handleSlack(req, res, slack[1]);
    if (path === '/pagerduty/v2/enqueue' && method === 'POST')
      return this.handlePagerDuty(req, res);
    const sp =
      /^\/statuspage\/v1\/pages\/([^/]+)\/incidents(?:\/([^/]+))?$/.exec(path);
    // Statuspage accepts PUT as well as PATCH for updates.
    if (sp && (method === 'POST' || method === 'PATCH' || method === 'PUT'))
      return this.handleStatuspage(
        req,
        res,
        method === 'PUT' ? 'PATCH' : method,
        sp[1],
        sp[2],
      );
    return sendText(res, 404, 'not_found');
  }

  private async handleSlack(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    webhookId: string,
  ) {
    const body = await readJson(req);
    const record = (status: number) =>
      keepLast(this.slack, {
        at: new Date().toISOString(),
        webhookId,
        body: body === InvalidJson ? null : body,
        status,
      });
    if (this.failure.slack === 429) {
      record(429);
      return sendText(res, 429, 'rate_limited', 'text/plain', {
        'retry-after': '1',
      });
    }
    if (this.failure.slack === 500) {
      record(500);
      return sendText(res, 500, 'rollup_error');
    }
    const b = body as any;
    const valid =
      body !== InvalidJson &&
      b &&
      typeof b === 'object' &&
      (typeof b.text === 'string' || Array.isArray(b.blocks)) &&
      (b.blocks === undefined ||
        (Array.isArray(b.blocks) && b.blocks.length <= 50));
    if (!valid) {
      record(400);
      let reason = 'no_text';
      if (body === InvalidJson) reason = 'invalid_payload';
      else if (b?.blocks) reason = 'invalid_blocks';
      return sendText(res, 400, reason);
    }
    record(200);
    return sendText(res, 200, 'ok');
  }

  private async handleStatuspage(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: 'POST' | 'PATCH',
    pageId: string,
    incidentId?: string,
  ) {
    const body = await readJson(req);
    const record = (status: number) =>
      keepLast(this.statuspage, {
        at: new Date().toISOString(),
        method,
        pageId,
        incidentId,
        body: body === InvalidJson ? null : body,
        status,
      });
    if (!/^OAuth\s+\S+/i.test(req.headers.authorization ?? '')) {
      record(401);
      return sendJson(res, 401, { error: 'Could not authenticate' });
    }
    if (this.failure.statuspage === 429) {
      record(429);
      return sendJson(res, 429, { error: 'Rate limit exceeded' });
    }
    if (this.failure.statuspage === 500) {
      record(500);
      return sendJson(res, 500, { error: 'Internal Server Error' });
    }
    const inc = (body as any)?.incident;
    if (body === InvalidJson || !inc || typeof inc !== 'object') {
      record(422);
      return sendJson(res, 422, { error: 'incident is missing' });
    }
    const now = new Date().toISOString();
    if (method === 'POST') {
      if (incidentId) {
        record(405);
        return sendJson(res, 405, { error: 'Method not allowed' });
      }
      if (typeof inc.name !== 'string' || !inc.name) {
        record(422);
        return sendJson(res, 422, { error: "name can't be blank" });
      }
      const id = randomBytes(6).toString('hex');
      const incident = {
        id,
        page_id: pageId,
        name: inc.name,
        status: inc.status ?? 'investigating',
        impact: inc.impact_override ?? 'none',
        impact_override: inc.impact_override ?? null,
        created_at: now,
        updated_at: now,
        started_at: now,
        resolved_at: inc.status === 'resolved' ? now : null,
        shortlink: `https://stspg.io/${id.slice(0, 6)}`,
        components: Object.entries(inc.components ?? {}).map(
          ([cid, status]) => ({ id: cid, status }),
        ),
        incident_updates: [
          {
            id: `${id}u0`,
            incident_id: id,
            status: inc.status ?? 'investigating',
            body: inc.body ?? '',
            created_at: now,
          },
        ],
      };
      this.incidents.set(id, incident);
      record(201);
      return sendJson(res, 201, incident);
    }
    const existing = incidentId ? this.incidents.get(incidentId) : undefined;
    if (!existing || existing.page_id !== pageId) {
      record(404);
      return sendJson(res, 404, { error: 'Incident not found' });
    }
    if (inc.status) existing.status = inc.status;
    if (inc.name) existing.name = inc.name;
    if (inc.components)
      existing.components = Object.entries(inc.components).map(
        ([cid, status]) => ({ id: cid, status }),
      );
    if (inc.status === 'resolved') existing.resolved_at = now;
    existing.updated_at = now;
    existing.incident_updates.unshift({
      id: `${existing.id}u${existing.incident_updates.length}`,
      incident_id: existing.id,
      status: existing.status,
      body: inc.body ?? '',
      created_at: now,
    });
    record(200);
    return sendJson(res, 200, existing);
  }

  /** PagerDuty Events API v2: 202 success, 400 invalid event, 429 throttled, 500 on demand. */
  private async handlePagerDuty(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    const body = await readJson(req);
    const event =
      body !== InvalidJson && body && typeof body === 'object'
        ? (body as Record<string, any>)
        : undefined;
    const answer = (status: number, json: Record<string, unknown>) => {
      const { routing_key: routingKey, ...rest } = event ?? {};
      keepLast(this.pagerduty, {
        at: new Date().toISOString(),
        routingKey:
          typeof routingKey === 'string' && routingKey
            ? routingKeyFingerprint(routingKey)
            : null,
        body: event ? rest : null,
        status,
        answer: json,
      });
      return sendJson(res, status, json);
    };
    if (this.failure.pagerduty === 429) {
      return answer(429, {
        status: 'throttle event',
        message:
          'Requests for this service are arriving too quickly.  Please retry later.',
      });
    }
    if (this.failure.pagerduty === 500) {
      return answer(500, { status: 'error', message: 'Internal Server Error' });
    }
    const errors =
      body === InvalidJson
        ? ['Malformed JSON: the request body could not be parsed']
        : pagerDutyEventErrors(body);
    if (errors.length) {
      return answer(400, {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors,
      });
    }
    const dedupKey = this.alerts.apply(event!, new Date().toISOString());
    return answer(202, {
      status: 'success',
      message: 'Event processed',
      dedup_key: dedupKey,
    });
  }
}
