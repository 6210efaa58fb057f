/**
 * The PagerDuty routes over HTTP against the sandbox's receiver, with the secrets canary: the
 * routing key, raw, base64 and URL-encoded, is planted where a person could paste it (title,
 * impact, the trigger's summary); no form of it may come back in any answer (body or header),
 * timeline, log line, auditor event or database row, and only PagerDuty receives it.
 */
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { NotAllowedError } from '@backstage/errors';
import { TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  routingKeyFingerprint,
  startSandbox,
  Sandbox,
} from '@internal/vastai-sandbox';
import express, { Request } from 'express';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { EntityGate, PermissionCheck } from '../access/entityGate';
import {
  leakForms,
  recordingAuditor,
  recordingLogger,
} from '../testing/actionsTestKit';
import {
  COMMS_ENTITY,
  COMMS_INTEGRATION,
  incidentCommsOnSandbox,
} from '../testing/incidentComms';
import { createIncidentsRouter } from './router';

jest.setTimeout(120_000);

const ROUTING_KEY = `canary-pd-${randomBytes(12).toString('hex')}`;

/** Lets every user read; `vastai.comms.send` only for the users listed. */
function gateFor(senders: string[]) {
  return {
    credentials: async (req: Request) => ({
      principal: { userEntityRef: req.header('x-user') },
    }),
    requireVisible: async () => undefined,
    requirePermission: async (
      subject: { credentials: { principal: { userEntityRef: string } } },
      check: PermissionCheck,
    ) => {
      if (
        check.permission.name === 'vastai.comms.send' &&
        !senders.includes(subject.credentials.principal.userEntityRef)
      ) {
        throw new NotAllowedError(`Not allowed to ${check.what}`);
      }
    },
    recordIntegration: async () => undefined,
    allows: async () => true,
  } as unknown as EntityGate;
}

describe('the PagerDuty routes', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ prometheus: false });
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => {
    sandbox.receivers.clear();
    sandbox.receivers.setFailure({ pagerduty: null });
  });

  it('preview, page, acknowledge and resolve over HTTP, gated by vastai.comms.send, with no form of the routing key in any answer, timeline, log, audit event or row', async () => {
    const knex = await databases.init('SQLITE_3');
    const logger = recordingLogger();
    const auditor = recordingAuditor();
    const { service } = await incidentCommsOnSandbox(knex, sandbox, {
      pagerdutyRoutingKey: ROUTING_KEY,
      logger,
    });
    const pasted = leakForms(ROUTING_KEY).join(' ');
    const incident = await service.declare(
      {
        entityRef: COMMS_ENTITY,
        integration: COMMS_INTEGRATION,
        title: `Vast.ai 503s (key ${ROUTING_KEY})`,
        severity: 'P1',
        impact: `No GPU offers; pasted by mistake: ${pasted}`,
      },
      'user:default/alice',
    );
    const server = express()
      .use(
        createIncidentsRouter({
          gate: gateFor(['user:default/alice']),
          incidents: service,
          auditor,
        }),
      )
      .use(
        MiddlewareFactory.create({
          config: new ConfigReader({}),
          logger,
        }).error(),
      );
    const answers: string[] = [];
    const call = async (
      user: string,
      method: 'get' | 'post' | 'patch',
      path: string,
      body?: object,
      key?: string,
    ) => {
      let req = request(server)[method](`/${incident.id}${path}`);
      req = req.set('x-user', user);
      if (key) req = req.set('Idempotency-Key', key);
      const res = await (body ? req.send(body) : req);
      answers.push(`${JSON.stringify(res.headers)}\n${res.text}`);
      return res;
    };
    const alice = 'user:default/alice';
    const bob = 'user:default/bob';

    const status = await call(bob, 'get', '/comms/pagerduty');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      configured: true,
      state: 'none',
      dedupKey: incident.id,
      severity: 'critical',
    });
    const preview = await call(
      bob,
      'get',
      '/comms/pagerduty/preview?action=trigger',
    );
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      channel: 'pagerduty',
      action: 'trigger',
      event: { dedup_key: incident.id, payload: { severity: 'critical' } },
    });
    expect(
      (await call(bob, 'get', '/comms/pagerduty/preview?action=page')).status,
    ).toBe(400);

    // Reading is open; paging needs vastai.comms.send.
    const denied = await call(
      bob,
      'post',
      '/comms/pagerduty',
      { action: 'trigger' },
      'bob-1',
    );
    expect(denied.status).toBe(403);
    expect(sandbox.receivers.pagerdutyEvents()).toEqual([]);

    const noKey = await call(alice, 'post', '/comms/pagerduty', {
      action: 'trigger',
    });
    expect(noKey.status).toBe(400);
    expect(
      (
        await call(
          alice,
          'post',
          '/comms/pagerduty',
          { action: 'trigger', routing_key: 'x' },
          'k-x',
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await call(
          alice,
          'post',
          '/comms/pagerduty',
          { action: 'acknowledge' },
          'ack-too-early',
        )
      ).status,
    ).toBe(409);

    const paged = await call(
      alice,
      'post',
      '/comms/pagerduty',
      { action: 'trigger', text: `${preview.body.text} ${pasted}` },
      'page-1',
    );
    expect(paged.status).toBe(201);
    expect(paged.body).toMatchObject({ channel: 'pagerduty', status: 'sent' });
    const acked = await call(
      alice,
      'post',
      '/comms/pagerduty',
      { action: 'acknowledge' },
      'ack-1',
    );
    expect(acked.status).toBe(201);
    expect((await call(alice, 'get', '/comms/pagerduty')).body.state).toBe(
      'acknowledged',
    );

    // Resolving the incident (a manage change) resolves the page.
    const resolved = await call(alice, 'patch', '', { status: 'resolved' });
    expect(resolved.status).toBe(200);
    expect(sandbox.receivers.pagerdutyAlerts()).toMatchObject([
      { dedupKey: incident.id, status: 'resolved' },
    ]);
    for (const path of ['', '/timeline', '/comms', '/comms/pagerduty']) {
      expect((await call(bob, 'get', path)).status).toBe(200);
    }

    // PagerDuty got the key, and the redacted texts.
    const events = sandbox.receivers.pagerdutyEvents();
    expect(events.map(e => e.status)).toEqual([202, 202, 202]);
    expect(new Set(events.map(e => e.routingKey))).toEqual(
      new Set([routingKeyFingerprint(ROUTING_KEY)]),
    );
    expect(
      auditor.events.map(e => [e.eventId, (e.meta as any)?.action, e.outcome]),
    ).toEqual([
      ['incident-comms-pagerduty', 'trigger', 'fail'],
      ['incident-comms-pagerduty', 'acknowledge', 'fail'],
      ['incident-comms-pagerduty', 'trigger', 'success'],
      ['incident-comms-pagerduty', 'acknowledge', 'success'],
      ['incident-update', undefined, 'success'],
    ]);

    const rows = JSON.stringify({
      messages: await knex('incident_messages').select(),
      timeline: await knex('incident_timeline').select(),
      incidents: await knex('incident_records').select(),
    });
    const haystacks: Array<[string, string]> = [
      ['the answers', answers.join('\n')],
      ['the logs', logger.lines.join('\n')],
      ['the auditor events', JSON.stringify(auditor.events)],
      ['the database', rows],
      ['the PagerDuty records', JSON.stringify(events)],
    ];
    const found = haystacks.flatMap(([where, text]) =>
      leakForms(ROUTING_KEY)
        .filter(form => text.includes(form))
        .map(form => `${form.slice(0, 12)}... in ${where}`),
    );
    expect(found).toEqual([]);
    // The plants were seen, redacted: the canary looked where the key was.
    expect(answers.join('\n')).toContain('[REDACTED]');
  });
});
