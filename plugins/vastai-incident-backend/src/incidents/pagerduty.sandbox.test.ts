import { TestDatabases } from '@backstage/backend-test-utils';
import type { Incident } from '@vastai-incident/backstage-plugin-common';
import {
  routingKeyFingerprint,
  startSandbox,
  Sandbox,
} from '@internal/vastai-sandbox';
import {
  COMMS_ENTITY,
  COMMS_INTEGRATION,
  incidentCommsOnSandbox,
} from '../testing/incidentComms';
import { recordingLogger } from '../testing/actionsTestKit';
import { HttpClient, nodeHttpClient } from '../upstream';

jest.setTimeout(120_000);

const ROUTING_KEY = 'canary-pd-routing-key-3e9a1c7b55d2';
const ALICE = 'user:default/alice';

describe('PagerDuty paging against the sandbox receiver', () => {
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

  async function setup(options: { http?: HttpClient } = {}) {
    const knex = await databases.init('SQLITE_3');
    const logger = recordingLogger();
    const bed = await incidentCommsOnSandbox(knex, sandbox, {
      pagerdutyRoutingKey: ROUTING_KEY,
      logger,
      appBaseUrl: 'http://portal.example',
      ...options,
    });
    return { knex, logger, ...bed };
  }

  const declare = (
    service: Awaited<ReturnType<typeof setup>>['service'],
    severity: Incident['severity'] = 'P1',
  ) =>
    service.declare(
      {
        entityRef: COMMS_ENTITY,
        integration: COMMS_INTEGRATION,
        title: 'Vast.ai API returns 503',
        severity,
        impact: 'Users see no GPU offers',
      },
      ALICE,
    );

  const eventsReceived = () =>
    sandbox.receivers
      .pagerdutyEvents()
      .map(e => [(e.body as any)?.event_action, e.status]);

  it('pages a P1 as critical with the incident id as dedup key, acknowledges it, and resolves it when the incident resolves', async () => {
    const { service, knex, logger } = await setup();
    const incident = await declare(service);

    const status = await service.pagerDutyStatus(incident.id);
    expect(status).toMatchObject({
      configured: true,
      state: 'none',
      dedupKey: incident.id,
      severity: 'critical',
    });
    expect(status.unavailable.trigger).toBeUndefined();
    expect(status.unavailable.acknowledge).toBe(
      'no page was sent for this incident',
    );

    const preview = await service.previewPagerDuty(incident.id, 'trigger');
    expect(preview.text).toBe(`[P1] Vast.ai API returns 503 (${COMMS_ENTITY})`);
    expect(preview.event).toMatchObject({
      event_action: 'trigger',
      dedup_key: incident.id,
      payload: {
        summary: preview.text,
        source: COMMS_ENTITY,
        severity: 'critical',
        custom_details: {
          incident_id: incident.id,
          impact: 'Users see no GPU offers',
          commander: ALICE,
        },
      },
      links: [
        {
          href: 'http://portal.example/catalog/default/component/vastai-integration/vastai-incident',
        },
      ],
    });

    const paged = await service.sendPagerDuty(
      incident.id,
      'trigger',
      `${preview.text} - paging the on-call`,
      ALICE,
      'page-1',
    );
    expect(paged).toMatchObject({
      channel: 'pagerduty',
      status: 'sent',
      upstreamStatus: 202,
      payload: { event_action: 'trigger', dedup_key: incident.id },
    });
    const [received] = sandbox.receivers.pagerdutyEvents();
    expect(received.routingKey).toBe(routingKeyFingerprint(ROUTING_KEY));
    expect(received.body).toMatchObject({
      event_action: 'trigger',
      dedup_key: incident.id,
      payload: {
        summary: `[P1] Vast.ai API returns 503 (${COMMS_ENTITY}) - paging the on-call`,
        severity: 'critical',
      },
    });
    expect(received.answer).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: incident.id,
    });
    expect((await service.pagerDutyStatus(incident.id)).state).toBe(
      'triggered',
    );

    const acked = await service.sendPagerDuty(
      incident.id,
      'acknowledge',
      undefined,
      ALICE,
      'ack-1',
    );
    expect(acked).toMatchObject({ status: 'sent', upstreamStatus: 202 });
    expect(sandbox.receivers.pagerdutyAlerts()).toMatchObject([
      { dedupKey: incident.id, status: 'acknowledged' },
    ]);
    expect((await service.pagerDutyStatus(incident.id)).state).toBe(
      'acknowledged',
    );

    const resolved = await service.update(
      incident.id,
      { status: 'resolved' },
      ALICE,
    );
    expect(resolved.status).toBe('resolved');
    expect(sandbox.receivers.pagerdutyAlerts()).toMatchObject([
      { dedupKey: incident.id, status: 'resolved' },
    ]);
    expect(eventsReceived()).toEqual([
      ['trigger', 202],
      ['acknowledge', 202],
      ['resolve', 202],
    ]);
    const after = await service.pagerDutyStatus(incident.id);
    expect(after.state).toBe('resolved');
    expect(after.unavailable.trigger).toBe('the incident is resolved');

    const summaries = (await service.timeline(incident.id)).map(e => e.summary);
    expect(summaries).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Sent to PagerDuty \(trigger\): \[P1\]/),
        expect.stringMatching(/^Sent to PagerDuty \(acknowledge\)/),
        expect.stringMatching(/^Sent to PagerDuty \(resolve\)/),
      ]),
    );

    // The routing key went to PagerDuty and nowhere else.
    const rows = JSON.stringify({
      messages: await knex('incident_messages').select(),
      timeline: await knex('incident_timeline').select(),
      incidents: await knex('incident_records').select(),
    });
    expect(rows).not.toContain(ROUTING_KEY);
    expect(JSON.stringify(preview)).not.toContain(ROUTING_KEY);
    expect(logger.lines.join('\n')).not.toContain(ROUTING_KEY);
  });

  it('maps P2 to error, never pages a P3 or P4, and pages once the incident is raised to P2', async () => {
    const { service } = await setup();
    const incident = await declare(service, 'P3');
    const status = await service.pagerDutyStatus(incident.id);
    expect(status.severity).toBeUndefined();
    expect(status.unavailable.trigger).toBe(
      'only P1 and P2 incidents page; this one is P3',
    );
    await expect(
      service.sendPagerDuty(incident.id, 'trigger', undefined, ALICE, 'p3'),
    ).rejects.toThrow(/Cannot trigger on PagerDuty: only P1 and P2/);
    expect(sandbox.receivers.pagerdutyEvents()).toEqual([]);

    await service.update(incident.id, { severity: 'P2' }, ALICE);
    const paged = await service.sendPagerDuty(
      incident.id,
      'trigger',
      undefined,
      ALICE,
      'p2',
    );
    expect(paged.status).toBe('sent');
    expect(sandbox.receivers.pagerdutyEvents()[0].body).toMatchObject({
      payload: { severity: 'error', summary: expect.stringMatching(/^\[P2\]/) },
    });
  });

  it('stores a 429 as failed and retryable, then the retry delivers it', async () => {
    const { service } = await setup();
    const incident = await declare(service);
    sandbox.receivers.setFailure({ pagerduty: 429 });
    const limited = await service.sendPagerDuty(
      incident.id,
      'trigger',
      undefined,
      ALICE,
      'page-429',
    );
    expect(limited).toMatchObject({
      status: 'failed',
      retryable: true,
      upstreamStatus: 429,
    });
    expect(limited.reason).toBe(
      'PagerDuty throttled the trigger event (HTTP 429: Requests for this service are arriving too quickly. Please retry later.)',
    );
    expect((await service.pagerDutyStatus(incident.id)).state).toBe('none');
    const timeline = await service.timeline(incident.id);
    expect(timeline[timeline.length - 1].summary).toMatch(
      /^Sending to PagerDuty \(trigger\) failed \(PagerDuty throttled .*HTTP 429.*\); retryable/,
    );

    sandbox.receivers.setFailure({ pagerduty: null });
    const retried = await service.retry(incident.id, limited.id, ALICE);
    expect(retried).toMatchObject({ status: 'sent', attempts: 2 });
    expect(eventsReceived()).toEqual([
      ['trigger', 429],
      ['trigger', 202],
    ]);
    expect((await service.pagerDutyStatus(incident.id)).state).toBe(
      'triggered',
    );
  });

  it('surfaces a 400 with PagerDuty message and errors on the message and the timeline', async () => {
    // An outbound client that breaks the event on its way, as a bad mapping would: the
    // receiver validates it and refuses it as PagerDuty does.
    const breaking: HttpClient = request =>
      nodeHttpClient({
        ...request,
        body: String(request.body).replace(
          '"severity":"critical"',
          '"severity":"P1"',
        ),
      });
    const { service, logger } = await setup({ http: breaking });
    const incident = await declare(service);
    const refused = await service.sendPagerDuty(
      incident.id,
      'trigger',
      undefined,
      ALICE,
      'page-400',
    );
    expect(refused).toMatchObject({ status: 'failed', upstreamStatus: 400 });
    expect(refused.reason).toBe(
      "PagerDuty refused the trigger event (HTTP 400: Event object is invalid; 'payload.severity' is invalid (must be one of: critical, error, warning, info))",
    );
    const timeline = await service.timeline(incident.id);
    expect(timeline[timeline.length - 1]).toMatchObject({
      kind: 'message',
      summary: expect.stringContaining(
        "Sending to PagerDuty (trigger) failed (PagerDuty refused the trigger event (HTTP 400: Event object is invalid; 'payload.severity' is invalid",
      ),
      detail: expect.objectContaining({
        channel: 'pagerduty',
        action: 'trigger',
        status: 'failed',
        upstreamStatus: 400,
      }),
    });
    expect(JSON.stringify({ refused, timeline })).not.toContain(ROUTING_KEY);
    expect(logger.lines.join('\n')).not.toContain(ROUTING_KEY);
  });

  it('resolving an incident whose resolve fails keeps it resolved, records the failure, and the resolve can be retried', async () => {
    const { service } = await setup();
    const incident = await declare(service, 'P2');
    await service.sendPagerDuty(incident.id, 'trigger', undefined, ALICE, 't');
    sandbox.receivers.setFailure({ pagerduty: 500 });
    const resolved = await service.update(
      incident.id,
      { status: 'resolved' },
      ALICE,
    );
    expect(resolved.status).toBe('resolved');
    const failed = (await service.listMessages(incident.id)).find(
      m => (m.payload as any).event_action === 'resolve',
    )!;
    expect(failed).toMatchObject({
      status: 'failed',
      retryable: true,
      upstreamStatus: 500,
      reason:
        'PagerDuty answered HTTP 500 to the resolve event: Internal Server Error',
    });
    const timeline = await service.timeline(incident.id);
    expect(timeline.map(e => e.summary)).toEqual(
      expect.arrayContaining([
        'Status: investigating -> resolved',
        expect.stringMatching(
          /^Sending to PagerDuty \(resolve\) failed \(PagerDuty answered HTTP 500/,
        ),
      ]),
    );
    // The page is still open; a retry of a trigger would page again and is refused.
    expect((await service.pagerDutyStatus(incident.id)).state).toBe(
      'triggered',
    );
    sandbox.receivers.setFailure({ pagerduty: null });
    const retried = await service.retry(incident.id, failed.id, ALICE);
    expect(retried.status).toBe('sent');
    expect(sandbox.receivers.pagerdutyAlerts()).toMatchObject([
      { dedupKey: incident.id, status: 'resolved' },
    ]);
  });

  it('an incident resolved without a page sends nothing; a failed trigger is not retried after resolution', async () => {
    const { service } = await setup();
    const quiet = await declare(service);
    await service.update(quiet.id, { status: 'resolved' }, ALICE);
    expect(sandbox.receivers.pagerdutyEvents()).toEqual([]);

    const incident = await declare(service);
    sandbox.receivers.setFailure({ pagerduty: 500 });
    const failed = await service.sendPagerDuty(
      incident.id,
      'trigger',
      undefined,
      ALICE,
      'trigger-500',
    );
    expect(failed.status).toBe('failed');
    sandbox.receivers.setFailure({ pagerduty: null });
    await service.update(incident.id, { status: 'resolved' }, ALICE);
    await expect(service.retry(incident.id, failed.id, ALICE)).rejects.toThrow(
      /resolved: a page for it is not sent again/,
    );
    expect(eventsReceived()).toEqual([['trigger', 500]]);
  });

  it('a replayed send is sent once; the same key for another action or user is 422; acknowledge takes no text', async () => {
    const { service } = await setup();
    const incident = await declare(service);
    const [first, second] = await Promise.all([
      service.sendPagerDuty(incident.id, 'trigger', 'Page', ALICE, 'k-1'),
      service.sendPagerDuty(incident.id, 'trigger', 'Page', ALICE, 'k-1'),
    ]);
    expect(second.id).toBe(first.id);
    expect(eventsReceived()).toEqual([['trigger', 202]]);
    await expect(
      service.sendPagerDuty(
        incident.id,
        'acknowledge',
        undefined,
        ALICE,
        'k-1',
      ),
    ).rejects.toMatchObject({ statusCode: 422 });
    await expect(
      service.sendPagerDuty(
        incident.id,
        'trigger',
        'Page',
        'user:default/bob',
        'k-1',
      ),
    ).rejects.toThrow(/used by another user/);
    await expect(
      service.sendPagerDuty(incident.id, 'acknowledge', 'hi', ALICE, 'k-2'),
    ).rejects.toThrow(/carries no text/);
    await expect(
      service.sendPagerDuty(incident.id, 'trigger', 'Page', ALICE),
    ).rejects.toThrow(/Idempotency-Key header is required/);
    expect(eventsReceived()).toEqual([['trigger', 202]]);
  });

  it('an integration without a routing key says so and sends nothing', async () => {
    const knex = await databases.init('SQLITE_3');
    const { service } = await incidentCommsOnSandbox(knex, sandbox);
    const incident = await declare(service);
    const status = await service.pagerDutyStatus(incident.id);
    expect(status.configured).toBe(false);
    expect(status.unavailable.trigger).toBe(
      `no PagerDuty routing key is configured for integration "${COMMS_INTEGRATION}"`,
    );
    await expect(
      service.sendPagerDuty(incident.id, 'trigger', undefined, ALICE, 'x'),
    ).rejects.toThrow(/no PagerDuty routing key is configured/);
    await service.update(incident.id, { status: 'resolved' }, ALICE);
    expect(sandbox.receivers.pagerdutyEvents()).toEqual([]);
  });
});
