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

/**
 * Receivers for the product's outbound communications: Slack incoming webhooks and the Statuspage
 * write API. They record what they get (never the Authorization header) and answer like the real ones.
 */
export class Receivers extends SimulatedServer {
  private slack: SlackMessage[] = [];
  private statuspage: StatuspageRequest[] = [];
  private incidents = new Map<string, Record<string, any>>();
  private failure: { slack: ReceiverFailure; statuspage: ReceiverFailure } = {
    slack: null,
    statuspage: null,
  };

  setFailure(
    f: Partial<{ slack: ReceiverFailure; statuspage: ReceiverFailure }>,
  ) {
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

  clear() {
    this.slack = [];
    this.statuspage = [];
    this.incidents.clear();
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const { path } = pathOf(req);
    const method = req.method ?? 'GET';
    const slack = /^\/slack\/webhook\/([^/]+)$/.exec(path);
    if (slack && method === 'POST') return this.handleSlack(req, res, slack[1]);
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
}
