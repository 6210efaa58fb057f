import { VastAccount } from './account';
import { VastApi } from './vastApiServer';
import { NORMAL_LIMITS, normalBehaviour } from './vendorBehaviour';

const OPERATOR = 'test-operator-key';

describe('simulated Vast.ai API', () => {
  let api: VastApi;
  let base: string;
  const call = (path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: {
        ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });

  beforeEach(async () => {
    api = new VastApi(new VastAccount(OPERATOR, ['vastai-integration']));
    base = (await api.start(0)).url;
  });
  afterEach(() => api.stop());

  it('answers users/current like the real one, api_key included', async () => {
    const res = await call('/api/v0/users/current/', { key: OPERATOR });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      id: expect.any(Number),
      key_id: 1,
      email: expect.any(String),
      balance: expect.any(Number),
    });
    expect(body.api_key).toBe(OPERATOR);
  });

  it('rejects a missing or unknown key with the real error shape', async () => {
    for (const key of [undefined, 'not-a-key']) {
      const res = await call('/api/v0/users/current/', { key });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        success: false,
        error: 'invalid_user_key',
        msg: 'Invalid user key',
      });
    }
    const calls = api.calls.stats();
    expect(calls.byIdentity).toEqual({ anonymous: 1, 'invalid-key': 1 });
  });

  it('creates, lists and revokes keys; a revoked key gets 401', async () => {
    const created = await call('/api/v0/auth/apikeys/', {
      method: 'POST',
      key: OPERATOR,
      body: JSON.stringify({ name: 'rotated', permissions: { read: true } }),
    });
    expect(created.status).toBe(200);
    const { id, key, permissions } = await created.json();
    expect(typeof id).toBe('number');
    expect(typeof key).toBe('string');
    expect(permissions).toEqual({ read: true });

    expect(
      (await call('/api/v0/bundles/', { method: 'POST', key, body: '{}' }))
        .status,
    ).toBe(200);

    const list = await (
      await call('/api/v0/auth/apikeys/', { key: OPERATOR })
    ).json();
    expect(list.apikeys.map((k: any) => k.id)).toContain(id);
    expect(JSON.stringify(list)).not.toContain(key);

    const del = await call(`/api/v0/auth/apikeys/${id}/`, {
      method: 'DELETE',
      key: OPERATOR,
    });
    expect(del.status).toBe(200);
    expect(await del.json()).toBe('Successfully Deleted API Key');
    const again = await call(`/api/v0/auth/apikeys/${id}/`, {
      method: 'DELETE',
      key: OPERATOR,
    });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ msg: 'API Key not found.' });

    const revoked = await call('/api/v0/bundles/', {
      method: 'POST',
      key,
      body: '{}',
    });
    expect(revoked.status).toBe(401);
    expect((await revoked.json()).msg).toBe('Invalid user key');
  });

  it('validates key creation input', async () => {
    const res = await call('/api/v0/auth/apikeys/', {
      method: 'POST',
      key: OPERATOR,
      body: '{"permissions": 1}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      success: false,
      msg: expect.any(String),
    });
  });

  it('returns offers in the bundles shape', async () => {
    const res = await call('/api/v0/bundles/', {
      method: 'POST',
      key: OPERATOR,
      body: JSON.stringify({ limit: 3 }),
    });
    const body = await res.json();
    expect(body.offers).toHaveLength(3);
    expect(body.offers[0]).toMatchObject({
      id: expect.any(Number),
      gpu_name: expect.any(String),
      dph_total: expect.any(Number),
      num_gpus: expect.any(Number),
    });
  });

  it('rate limits per identity with a minimum interval, no Retry-After', async () => {
    api.setBehaviour({
      ...normalBehaviour(),
      limits: {
        ...NORMAL_LIMITS,
        'users/current': { minIntervalMs: 1000, burst: 1 },
      },
    });
    const serviceKey = api.account.seed.serviceKeys['vastai-integration'];
    const first = await call('/api/v0/users/current/', { key: OPERATOR });
    const second = await call('/api/v0/users/current/', { key: OPERATOR });
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(
      [...second.headers.keys()].filter(h => h.startsWith('x-ratelimit')),
    ).toEqual([]);
    expect(await second.text()).toMatch(/^API requests too frequent/);
    // Another identity is not affected by the operator's calls.
    expect(
      (await call('/api/v0/users/current/', { key: serviceKey })).status,
    ).toBe(200);
    // JSON form on the offers endpoint
    api.setBehaviour({
      ...normalBehaviour(),
      limits: { ...NORMAL_LIMITS, bundles: { minIntervalMs: 1000, burst: 1 } },
    });
    await call('/api/v0/bundles/', {
      method: 'POST',
      key: serviceKey,
      body: '{}',
    });
    const limited = await call('/api/v0/bundles/', {
      method: 'POST',
      key: serviceKey,
      body: '{}',
    });
    expect(limited.status).toBe(429);
    expect((await limited.json()).detail).toMatch(
      /^API requests too frequent endpoint threshold=1\.0$/,
    );

    const stats = api.calls.stats();
    expect(
      stats.byIdentityAndEndpoint.operator['GET /api/v0/users/current/'],
    ).toBe(2);
    expect(stats.calls).toContainEqual({
      identity: 'vastai-integration',
      method: 'POST',
      endpoint: '/api/v0/bundles/',
      status: 429,
      count: 1,
    });
  });

  it('answers 503 to everyone during an outage, the operator too', async () => {
    api.setBehaviour({ ...normalBehaviour(), outage: true });
    const res = await call('/api/v0/users/current/', { key: OPERATOR });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('503 Service Temporarily Unavailable');
  });

  it('revoking a service key leaves the operator key working', async () => {
    api.account.revokeServiceKey('vastai-integration');
    const serviceKey = api.account.seed.serviceKeys['vastai-integration'];
    expect(
      (
        await call('/api/v0/bundles/', {
          method: 'POST',
          key: serviceKey,
          body: '{}',
        })
      ).status,
    ).toBe(401);
    expect(
      (await call('/api/v0/users/current/', { key: OPERATOR })).status,
    ).toBe(200);
    api.account.reset();
    expect(
      (
        await call('/api/v0/bundles/', {
          method: 'POST',
          key: serviceKey,
          body: '{}',
        })
      ).status,
    ).toBe(200);
  });
});
