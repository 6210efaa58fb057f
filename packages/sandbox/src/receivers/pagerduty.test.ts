import { startSandbox, Sandbox } from '../index';
import { routingKeyFingerprint } from './pagerduty';
import { Receivers } from './receiversServer';

const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000042';

const trigger = (overrides: Record<string, unknown> = {}) => ({
  routing_key: ROUTING_KEY,
  event_action: 'trigger',
  dedup_key: 'incident-1',
  payload: {
    summary: '[P1] Vast.ai API returns 503',
    source: 'vastai-integration',
    severity: 'critical',
  },
  ...overrides,
});

describe('PagerDuty Events API v2 receiver', () => {
  let receivers: Receivers;
  let base: string;
  beforeEach(async () => {
    receivers = new Receivers();
    base = (await receivers.start(0)).url;
  });
  afterEach(() => receivers.stop());

  const enqueue = (body: unknown) =>
    fetch(`${base}/pagerduty/v2/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('accepts trigger, acknowledge and resolve with 202 and follows the alert', async () => {
    const triggered = await enqueue(trigger());
    expect(triggered.status).toBe(202);
    expect(await triggered.json()).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: 'incident-1',
    });
    expect(receivers.pagerdutyAlerts()).toMatchObject([
      { dedupKey: 'incident-1', status: 'triggered', severity: 'critical' },
    ]);
    const acked = await enqueue({
      routing_key: ROUTING_KEY,
      event_action: 'acknowledge',
      dedup_key: 'incident-1',
    });
    expect(acked.status).toBe(202);
    expect(receivers.pagerdutyAlerts()[0].status).toBe('acknowledged');
    const resolved = await enqueue({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: 'incident-1',
    });
    expect(resolved.status).toBe(202);
    expect(receivers.pagerdutyAlerts()[0]).toMatchObject({
      status: 'resolved',
      log: [
        { action: 'trigger' },
        { action: 'acknowledge' },
        { action: 'resolve' },
      ],
    });
    // The same dedup key through another routing key is another service's alert.
    expect(
      (
        await enqueue({
          routing_key: 'another-key',
          event_action: 'acknowledge',
          dedup_key: 'incident-1',
        })
      ).status,
    ).toBe(202);
    expect(receivers.pagerdutyAlerts()).toHaveLength(1);
  });

  it.each([
    ['no routing_key', trigger({ routing_key: undefined }), /'routing_key'/],
    [
      'an unknown event_action',
      trigger({ event_action: 'escalate' }),
      /'event_action' is invalid/,
    ],
    [
      'a trigger without payload',
      trigger({ payload: undefined }),
      /'payload' is missing/,
    ],
    [
      'a trigger without summary',
      trigger({ payload: { source: 's', severity: 'error' } }),
      /'payload\.summary' is missing/,
    ],
    [
      'a trigger without source',
      trigger({ payload: { summary: 's', severity: 'error' } }),
      /'payload\.source' is missing/,
    ],
    [
      'a trigger without severity',
      trigger({ payload: { summary: 's', source: 's' } }),
      /'payload\.severity' is missing/,
    ],
    [
      'an unknown severity',
      trigger({ payload: { summary: 's', source: 's', severity: 'P1' } }),
      /'payload\.severity' is invalid/,
    ],
    [
      'a summary over 1024 characters',
      trigger({
        payload: { summary: 'x'.repeat(1025), source: 's', severity: 'info' },
      }),
      /'payload\.summary' is incorrect/,
    ],
    [
      'a resolve without dedup_key',
      { routing_key: ROUTING_KEY, event_action: 'resolve' },
      /'dedup_key' is required/,
    ],
    ['a body that is not JSON', '{nope', /Malformed JSON/],
  ])('answers 400 invalid event for %s', async (_what, body, error) => {
    const res = await enqueue(body);
    expect(res.status).toBe(400);
    const answer = await res.json();
    expect(answer).toMatchObject({
      status: 'invalid event',
      message: 'Event object is invalid',
    });
    expect(answer.errors.join('\n')).toMatch(error);
    expect(receivers.pagerdutyEvents().map(e => e.status)).toEqual([400]);
    expect(receivers.pagerdutyAlerts()).toEqual([]);
  });

  it('accepts a summary of exactly 1024 characters', async () => {
    const res = await enqueue(
      trigger({
        payload: { summary: 'x'.repeat(1024), source: 's', severity: 'info' },
      }),
    );
    expect(res.status).toBe(202);
  });

  it('throttles with 429 or fails with 500 on demand, and records events without the routing key', async () => {
    receivers.setFailure({ pagerduty: 429 });
    const limited = await enqueue(trigger());
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ status: 'throttle event' });
    receivers.setFailure({ pagerduty: 500 });
    expect((await enqueue(trigger())).status).toBe(500);
    receivers.setFailure({ pagerduty: null });
    expect((await enqueue(trigger())).status).toBe(202);

    const events = receivers.pagerdutyEvents();
    expect(events.map(e => e.status)).toEqual([429, 500, 202]);
    expect(events[2]).toMatchObject({
      routingKey: routingKeyFingerprint(ROUTING_KEY),
      body: { event_action: 'trigger', dedup_key: 'incident-1' },
      answer: { status: 'success' },
    });
    expect(JSON.stringify(events)).not.toContain(ROUTING_KEY);
    expect(JSON.stringify(receivers.pagerdutyAlerts())).not.toContain(
      ROUTING_KEY,
    );
    receivers.clear();
    expect(receivers.pagerdutyEvents()).toEqual([]);
    expect(receivers.pagerdutyAlerts()).toEqual([]);
  });
});

describe('PagerDuty receiver in the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ prometheus: false });
  });
  afterAll(() => sandbox?.stop());

  it('is listed by GET /urls and driven by the control API', async () => {
    const urls = await (await fetch(`${sandbox.urls.control}/urls`)).json();
    expect(urls.pagerduty).toBe(
      `${sandbox.urls.receivers}/pagerduty/v2/enqueue`,
    );
    const bad = await fetch(`${sandbox.urls.control}/receivers/failure`, {
      method: 'PUT',
      body: JSON.stringify({ pagerduty: 418 }),
    });
    expect(bad.status).toBe(400);
    const knob = await fetch(`${sandbox.urls.control}/receivers/failure`, {
      method: 'PUT',
      body: JSON.stringify({ pagerduty: 429 }),
    });
    expect(await knob.json()).toMatchObject({ pagerduty: 429 });
    const send = () =>
      fetch(urls.pagerduty, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(trigger()),
      });
    expect((await send()).status).toBe(429);
    await fetch(`${sandbox.urls.control}/receivers/failure`, {
      method: 'PUT',
      body: JSON.stringify({ pagerduty: null }),
    });
    expect((await send()).status).toBe(202);
    const recorded = await (
      await fetch(`${sandbox.urls.control}/receivers/pagerduty`)
    ).json();
    expect(recorded.events.map((e: { status: number }) => e.status)).toEqual([
      429, 202,
    ]);
    expect(recorded.alerts).toMatchObject([
      { dedupKey: 'incident-1', status: 'triggered' },
    ]);
    expect(JSON.stringify(recorded)).not.toContain(ROUTING_KEY);
    await fetch(`${sandbox.urls.control}/reset-counters`, { method: 'POST' });
    expect(
      (
        await (
          await fetch(`${sandbox.urls.control}/receivers/pagerduty`)
        ).json()
      ).events,
    ).toEqual([]);
  });
});
