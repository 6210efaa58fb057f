import { TestDatabases } from '@backstage/backend-test-utils';
import type { Incident } from '@vastai-incident/backstage-plugin-common';
import { startSandbox, Sandbox } from '@internal/vastai-sandbox';
import { incidentCommsOnSandbox } from '../testing/incidentComms';
import { SLACK_LIMITS, slackPayload } from './templates';

jest.setTimeout(120_000);

const CANARY = 'canary-statuspage-key-7f3a9c';
const OPERATOR_CANARY = 'canary-operator-key-51d0e2';
const secretForms = (s: string) => [
  s,
  Buffer.from(s).toString('base64').replace(/=+$/, ''),
  encodeURIComponent(s),
];

describe('incident communications against the sandbox receivers', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ prometheus: false });
  });
  afterAll(() => sandbox?.stop());

  async function setup() {
    const knex = await databases.init('SQLITE_3');
    const bed = await incidentCommsOnSandbox(knex, sandbox, {
      statuspageApiKey: CANARY,
      operatorApiKey: OPERATOR_CANARY,
    });
    return { knex, ...bed };
  }

  beforeEach(() => {
    sandbox.receivers.clear();
    sandbox.receivers.setFailure({ slack: null, statuspage: null });
  });

  it('sends Slack and status-page messages filled from the incident; 429 and 500 are stored, retryable, not lost', async () => {
    const { knex, service, webhookUrl, notifications } = await setup();
    const actor = 'user:default/alice';
    const incident: Incident = await service.declare(
      {
        entityRef: 'component:default/vastai-integration',
        integration: 'vastai-integration',
        title: 'Vast.ai API returns 503',
        severity: 'P1',
        impact: `Users see no GPU offers (pasted by mistake: api_key=${OPERATOR_CANARY})`,
      },
      actor,
    );
    expect(incident.commander).toBe(actor);
    expect(incident.impact).not.toContain(OPERATOR_CANARY);
    expect(notifications.send).toHaveBeenCalledWith(
      expect.objectContaining({
        recipients: expect.objectContaining({
          type: 'entity',
          entityRef: 'component:default/vastai-integration',
        }),
        payload: expect.objectContaining({ severity: 'critical' }),
      }),
    );

    // Slack: preview from the runbook template, sent as Block Kit + text.
    const preview = await service.preview(incident.id, 'slack');
    expect(preview.text).toContain('*Status:* Investigating');
    expect(preview.text).toContain('*Incident commander:* user:default/alice');
    expect(preview.text).toMatch(
      /\*Next update:\* \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 15 min\)/,
    );
    const slack = await service.send(
      incident.id,
      'slack',
      `${preview.text}\nEdited by Alice.`,
      actor,
      'send-slack-1',
    );
    expect(slack.status).toBe('sent');
    const [received] = sandbox.receivers.slackMessages();
    expect(received.webhookId).toBe('T0-hook-secret');
    const body = received.body as any;
    expect(body.text).toContain('🔴 P1 INCIDENT: Vast.ai API returns 503');
    expect(body.text).toContain('Edited by Alice.');
    expect(body.blocks[0]).toMatchObject({ type: 'header' });
    expect(body.blocks[0].text.text.length).toBeLessThanOrEqual(150);
    expect(body.blocks[1].text.text).toContain(
      '*Impact:* Users see no GPU offers',
    );

    // Slack 429 with Retry-After: stored as failed, a too-early retry refused, then delivered.
    sandbox.receivers.setFailure({ slack: 429 });
    const limited = await service.send(
      incident.id,
      'slack',
      'Update: fallback enabled',
      actor,
      'send-slack-2',
    );
    expect(limited).toMatchObject({
      status: 'failed',
      retryable: true,
      upstreamStatus: 429,
    });
    expect(limited.reason).toMatch(/429.*rate_limited.*retry after 1 s/);
    expect(Date.parse(limited.retryAfter!)).toBeGreaterThan(Date.now());
    await expect(service.retry(incident.id, limited.id, actor)).rejects.toThrow(
      /retry after/,
    );
    sandbox.receivers.setFailure({ slack: null });
    await new Promise(r => setTimeout(r, 1100));
    const retried = await service.retry(incident.id, limited.id, actor);
    expect(retried).toMatchObject({ status: 'sent', attempts: 2 });
    await expect(service.retry(incident.id, limited.id, actor)).rejects.toThrow(
      /Only a failed message/,
    );
    expect(
      sandbox.receivers
        .slackMessages()
        .map(m => [
          m.status,
          (m.body as any)?.text?.includes('fallback enabled'),
        ]),
    ).toEqual([
      [200, false],
      [429, true],
      [200, true],
    ]);

    // Status page: a 500 on create, retried, then an update PATCHes the same incident.
    sandbox.receivers.setFailure({ statuspage: 500 });
    const spPreview = await service.preview(incident.id, 'statuspage');
    expect(spPreview.statuspage).toMatchObject({
      action: 'create',
      componentStatus: 'major_outage',
      impact: 'critical',
    });
    const failedCreate = await service.send(
      incident.id,
      'statuspage',
      spPreview.text,
      actor,
      'send-statuspage-1',
    );
    expect(failedCreate).toMatchObject({
      status: 'failed',
      upstreamStatus: 500,
      retryable: true,
    });
    expect(
      (await service.get(incident.id)).statuspageIncidentId,
    ).toBeUndefined();
    sandbox.receivers.setFailure({ statuspage: null });
    const created = await service.retry(incident.id, failedCreate.id, actor);
    expect(created.status).toBe('sent');
    const spId = (await service.get(incident.id)).statuspageIncidentId;
    expect(spId).toEqual(expect.any(String));

    await service.update(incident.id, { status: 'resolved' }, actor);
    const resolvedPreview = await service.preview(incident.id, 'statuspage');
    expect(resolvedPreview.statuspage).toMatchObject({
      action: 'update',
      componentStatus: 'operational',
      status: 'resolved',
    });
    sandbox.receivers.setFailure({ statuspage: 429 });
    const failedPatch = await service.send(
      incident.id,
      'statuspage',
      resolvedPreview.text,
      actor,
      'send-statuspage-2',
    );
    expect(failedPatch.status).toBe('failed');
    sandbox.receivers.setFailure({ statuspage: null });
    await new Promise(r => setTimeout(r, 50));
    expect(
      (await service.retry(incident.id, failedPatch.id, actor)).status,
    ).toBe('sent');

    const requests = sandbox.receivers.statuspageRequests();
    expect(
      requests.map(r => [r.method, r.status, r.incidentId ?? null]),
    ).toEqual([
      ['POST', 500, null],
      ['POST', 201, null],
      ['PATCH', 429, spId],
      ['PATCH', 200, spId],
    ]);
    // The public name is the public template's, never the internal title.
    expect((requests[1].body as any).incident).toMatchObject({
      name: 'Vast.ai Integration Issue',
      status: 'investigating',
      impact_override: 'critical',
      component_ids: ['comp1'],
      components: { comp1: 'major_outage' },
    });
    expect((requests[1].body as any).incident.body).toContain(
      'investigating a problem with our Vast.ai integration',
    );
    expect((requests[3].body as any).incident).toMatchObject({
      status: 'resolved',
      components: { comp1: 'operational' },
    });

    // Every attempt is on the timeline; all messages are kept.
    const timeline = await service.timeline(incident.id);
    const messageEvents = timeline
      .filter(e => e.kind === 'message')
      .map(e => e.summary);
    expect(messageEvents).toHaveLength(7);
    expect(messageEvents.filter(s => s.startsWith('Sending to')).length).toBe(
      3,
    );
    expect(
      messageEvents.filter(s => /^(Sent|Retried and sent) to/.test(s)).length,
    ).toBe(4);
    expect(
      (await service.listMessages(incident.id)).map(m => m.status),
    ).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(notifications.send).toHaveBeenCalledTimes(2); // declared, resolved

    // No secret anywhere: rows, what the receivers got, the timeline.
    const rows = await Promise.all(
      [
        'incident_records',
        'incident_timeline',
        'incident_messages',
        'incident_evidence',
        'incident_postmortems',
      ].map(t => knex(t).select()),
    );
    const everything = JSON.stringify([
      rows,
      sandbox.receivers.slackMessages(),
      requests,
      timeline,
    ]);
    for (const secret of [CANARY, OPERATOR_CANARY, webhookUrl]) {
      for (const form of secretForms(secret))
        expect(everything).not.toContain(form);
    }
    // The webhook's own token is the receiver's business, never ours to store.
    expect(JSON.stringify([rows, timeline])).not.toContain('T0-hook-secret');
  });

  it('is refused when a channel is not configured', async () => {
    const { service } = await setup();
    const incident = await service.declare(
      {
        entityRef: 'component:default/other',
        integration: 'unconfigured',
        title: 't',
        severity: 'P3',
        impact: 'i',
      },
      'user:default/bob',
    );
    expect(
      (await service.preview(incident.id, 'slack')).unavailableReason,
    ).toMatch(/no Slack webhook/);
    await expect(
      service.send(incident.id, 'slack', 'x', 'user:default/bob'),
    ).rejects.toThrow(/no Slack webhook/);
  });
});

describe('slackPayload', () => {
  it('keeps within Slack limits however long the text', () => {
    const incident = {
      id: 'i1',
      entityRef: 'component:default/x',
      severity: 'P2',
      title: 'T'.repeat(400),
    } as Incident;
    const payload = slackPayload(incident, `${'line\n'.repeat(40_000)}end`);
    expect(payload.blocks.length).toBe(SLACK_LIMITS.blocks);
    const [header, ...rest] = payload.blocks as any[];
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    for (const block of rest) {
      const t = block.text?.text ?? block.elements?.[0]?.text;
      expect(t.length).toBeLessThanOrEqual(3000);
    }
    expect(payload.text.length).toBeLessThanOrEqual(40_000);
    const short = slackPayload(incident, 'short');
    expect(short.blocks).toHaveLength(3);
  });
});
