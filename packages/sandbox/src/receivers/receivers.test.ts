import { Receivers } from './receiversServer';

describe('Slack and Statuspage receivers', () => {
  let receivers: Receivers;
  let base: string;
  beforeEach(async () => {
    receivers = new Receivers();
    base = (await receivers.start(0)).url;
  });
  afterEach(() => receivers.stop());

  const slack = (body: unknown) =>
    fetch(`${base}/slack/webhook/hook-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers Slack webhooks like Slack and records them', async () => {
    const ok = await slack({ text: 'P1: Vast.ai integration down' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok');
    const bad = await slack('{nope');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('invalid_payload');
    expect(receivers.slackMessages().map(m => m.status)).toEqual([200, 400]);
    expect(receivers.slackMessages()[0]).toMatchObject({
      webhookId: 'hook-1',
      body: { text: 'P1: Vast.ai integration down' },
    });
  });

  it('fails Slack on demand: 429 with Retry-After, 500 rollup_error', async () => {
    receivers.setFailure({ slack: 429 });
    const limited = await slack({ text: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.text()).toBe('rate_limited');
    receivers.setFailure({ slack: 500 });
    const failed = await slack({ text: 'x' });
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('rollup_error');
    receivers.setFailure({ slack: null });
    expect((await slack({ text: 'x' })).status).toBe(200);
  });

  it('creates and updates Statuspage incidents, requiring OAuth', async () => {
    const headers = {
      'content-type': 'application/json',
      authorization: 'OAuth test-token',
    };
    const unauth = await fetch(`${base}/statuspage/v1/pages/pg1/incidents`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(unauth.status).toBe(401);
    const created = await fetch(`${base}/statuspage/v1/pages/pg1/incidents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        incident: {
          name: 'Vast.ai degraded',
          status: 'investigating',
          body: 'Looking into it',
          impact_override: 'major',
        },
      }),
    });
    expect(created.status).toBe(201);
    const incident = await created.json();
    expect(incident).toMatchObject({
      id: expect.any(String),
      name: 'Vast.ai degraded',
      status: 'investigating',
      page_id: 'pg1',
    });
    const updated = await fetch(
      `${base}/statuspage/v1/pages/pg1/incidents/${incident.id}`,
      {
        method: 'PATCH',
        headers,
        body: JSON.stringify({
          incident: { status: 'resolved', body: 'Fixed' },
        }),
      },
    );
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({
      id: incident.id,
      status: 'resolved',
      resolved_at: expect.any(String),
    });
    const missing = await fetch(
      `${base}/statuspage/v1/pages/pg1/incidents/nope`,
      { method: 'PATCH', headers, body: '{"incident":{}}' },
    );
    expect(missing.status).toBe(404);

    receivers.setFailure({ statuspage: 429 });
    expect(
      (
        await fetch(`${base}/statuspage/v1/pages/pg1/incidents`, {
          method: 'POST',
          headers,
          body: '{"incident":{"name":"x"}}',
        })
      ).status,
    ).toBe(429);

    const recorded = receivers.statuspageRequests();
    expect(recorded.map(r => r.status)).toEqual([401, 201, 200, 404, 429]);
    expect(JSON.stringify(recorded)).not.toContain('test-token');
  });
});
