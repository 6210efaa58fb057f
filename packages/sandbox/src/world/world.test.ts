import { IntegrationService } from '../service/integrationService';
import { StatusPage } from '../statuspage/statusPageServer';
import { eventually } from '../testing/eventually';
import { FakeKubeStore } from '../testing/fakeKubeStore';
import { VastAccount } from '../vast/account';
import { VastApi } from '../vast/vastApiServer';
import {
  BATCH_WORKER,
  INTEGRATION,
  NAMESPACE,
  SECRET_KEY,
  SECRET_OF,
  SERVICES,
} from './seed';
import { World } from './world';

jest.setTimeout(30_000);

/** The world's causality without HTTP Kubernetes: scenarios, the service's env, its metrics and logs. */
describe('world (unit, fake KubeStore)', () => {
  let kube: FakeKubeStore;
  let vast: VastApi;
  let statusPage: StatusPage;
  let services: Record<string, IntegrationService>;
  let urls: Record<string, string>;
  let world: World;
  let vastUrl: string;

  beforeAll(async () => {
    kube = new FakeKubeStore();
    vast = new VastApi(new VastAccount('op-key', [...SERVICES]));
    vastUrl = (await vast.start(0)).url;
    statusPage = new StatusPage();
    await statusPage.start(0);
    const common = {
      namespace: NAMESPACE,
      kube,
      vastApiUrl: vastUrl,
      requestTimeoutMs: 1000,
      maxInFlight: 40,
    };
    services = {
      [INTEGRATION]: new IntegrationService({
        ...common,
        name: INTEGRATION,
        directCallsPerSecond: 5,
        queueIntervalMs: 1500,
      }),
      [BATCH_WORKER]: new IntegrationService({
        ...common,
        name: BATCH_WORKER,
        directCallsPerSecond: 1,
        queueIntervalMs: 2000,
      }),
    };
    world = new World(kube, vast, statusPage, services as any);
    await world.setScenario('healthy');
    urls = {};
    for (const s of SERVICES) urls[s] = (await services[s].start(0)).url;
  });
  afterAll(async () => {
    for (const s of Object.values(services)) await s.stop();
    await vast.stop();
    await statusPage.stop();
  });

  const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
  const metricValue = async (service: string, series: string) => {
    const text = await services[service].registry.metrics();
    const line = text.split('\n').find(l => l.startsWith(`${series} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  const errors = (type: string, service = INTEGRATION) =>
    metricValue(service, `vastai_errors_total{error_type="${type}"}`);
  const logs = () =>
    [...kube.logs.entries()]
      .filter(([k]) => k.includes(INTEGRATION))
      .flatMap(([, l]) => l);

  it('healthy: the service calls Vast.ai successfully, health in all three shapes', async () => {
    await world.setScenario('healthy');
    await eventually(
      async () =>
        (await metricValue(
          INTEGRATION,
          'vastai_requests_total{method="POST",endpoint="/api/v0/bundles/",status="200"}',
        )) >= 10,
    );
    for (const t of [
      'auth_error',
      'rate_limited',
      'server_error',
      'timeout',
      'network_error',
    ])
      expect(await errors(t)).toBe(0);
    const res = await fetch(`${urls[INTEGRATION]}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      services: { vastai: { status: 'healthy' } },
    });
    services[INTEGRATION].healthShape = 2;
    expect(await (await fetch(`${urls[INTEGRATION]}/health`)).json()).toEqual({
      status: 'healthy',
      services: { vastai: true },
    });
    services[INTEGRATION].healthShape = 3;
    expect(
      await (await fetch(`${urls[INTEGRATION]}/health`)).json(),
    ).toMatchObject({
      status: 'healthy',
      vastai: { connected: true, latencyMs: expect.any(Number) },
    });
    services[INTEGRATION].healthShape = 1;
    expect(
      logs().some(l =>
        /level=info .*msg="vastai client started" rate_limit_mode=direct fallback=false/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(vast.calls.stats().byIdentity.operator).toBeUndefined();
  });

  it('auth-failure: 401 storm until a new key is in the Secret and the pods restart', async () => {
    await world.setScenario('auth-failure');
    await eventually(async () => (await errors('auth_error')) >= 5);
    expect(
      (await (await fetch(`${urls[INTEGRATION]}/health`)).json()).services
        .vastai.status,
    ).toBe('down');
    expect(
      logs().some(
        l =>
          l.includes('level=error') &&
          l.includes('error_type=auth_error') &&
          l.includes('status=401'),
      ),
    ).toBe(true);
    expect(await errors('auth_error', BATCH_WORKER)).toBe(0);

    // Runbook: new key with the operator key, into the Secret; a Secret change alone does nothing.
    const created = await (
      await fetch(`${vastUrl}/api/v0/auth/apikeys/`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer op-key',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'rotated' }),
      })
    ).json();
    kube.setSecretData(NAMESPACE, SECRET_OF[INTEGRATION], {
      [SECRET_KEY]: created.key,
    });
    const before = await errors('auth_error');
    await sleep(600);
    expect(await errors('auth_error')).toBeGreaterThan(before);

    kube.restartDeployment(NAMESPACE, INTEGRATION);
    await sleep(300); // calls already in flight from the old pods are cancelled, not counted
    const healed = await errors('auth_error');
    await sleep(1500);
    expect(await errors('auth_error')).toBe(healed);
    expect(
      await metricValue(
        INTEGRATION,
        'vastai_requests_total{method="POST",endpoint="/api/v0/bundles/",status="200"}',
      ),
    ).toBeGreaterThan(0);
    expect(JSON.stringify(logs())).not.toContain(created.key);
  });

  it('rate-limited: direct mode gets mostly 429, queue mode none', async () => {
    await world.setScenario('rate-limited');
    await sleep(2500);
    const limited = await errors('rate_limited');
    const ok = await metricValue(
      INTEGRATION,
      'vastai_requests_total{method="POST",endpoint="/api/v0/bundles/",status="200"}',
    );
    expect(limited).toBeGreaterThan(ok);
    expect(await errors('rate_limited', BATCH_WORKER)).toBe(0);

    kube.restartDeployment(NAMESPACE, INTEGRATION, {
      RATE_LIMIT_MODE: 'queue',
    });
    // The storm emptied the identity's bucket: the queue's first calls may still meet a 429.
    await sleep(1600);
    const after = await errors('rate_limited');
    await sleep(3500);
    expect(await errors('rate_limited')).toBe(after);
    expect(await metricValue(INTEGRATION, 'vastai_queue_mode')).toBe(1);
  });

  it('vendor-outage: server errors, then fallback stops calling the vendor', async () => {
    await world.setScenario('vendor-outage');
    await eventually(async () => (await errors('server_error')) >= 5);
    kube.restartDeployment(NAMESPACE, INTEGRATION, { VASTAI_FALLBACK: 'true' });
    await sleep(200);
    const calls = vast.calls.stats().byIdentity[INTEGRATION];
    await sleep(1000);
    expect(vast.calls.stats().byIdentity[INTEGRATION]).toBe(calls);
    expect(await metricValue(INTEGRATION, 'vastai_fallback_active')).toBe(1);
    const health = await (await fetch(`${urls[INTEGRATION]}/health`)).json();
    expect(health).toEqual({
      services: { vastai: { status: 'degraded' } },
      fallback: true,
    });
  });

  it('pods-crashing: no ready pods, health refuses', async () => {
    await world.setScenario('pods-crashing');
    await expect(fetch(`${urls[INTEGRATION]}/health`)).rejects.toThrow();
    expect((await fetch(`${urls[BATCH_WORKER]}/health`)).status).toBe(200);
  });

  it('monitoring-gap: /metrics answers 500 while health is fine', async () => {
    await world.setScenario('monitoring-gap');
    expect((await fetch(`${urls[INTEGRATION]}/metrics`)).status).toBe(500);
    expect((await fetch(`${urls[INTEGRATION]}/health`)).status).toBe(200);
    expect((await fetch(`${urls[BATCH_WORKER]}/metrics`)).status).toBe(200);
  });

  it('minor-errors: a trickle of timeouts', async () => {
    await world.setScenario('minor-errors');
    await eventually(async () => (await errors('timeout')) >= 1, 30_000);
    const ok = () =>
      metricValue(
        INTEGRATION,
        'vastai_requests_total{method="POST",endpoint="/api/v0/bundles/",status="200"}',
      );
    // A trickle: over a few hundred calls, about one in two hundred times out.
    await eventually(async () => (await ok()) >= 250, 30_000);
    const timeouts = await errors('timeout');
    expect(timeouts / ((await ok()) + timeouts)).toBeLessThan(0.015);
    expect(logs().some(l => l.includes('error_type=timeout'))).toBe(true);
  }, 70_000);

  it('recovered: a short burst of server errors, then none', async () => {
    await world.setScenario('recovered');
    await eventually(async () => (await errors('server_error')) >= 1);
    await sleep(5200);
    const after = await errors('server_error');
    await sleep(1200);
    expect(await errors('server_error')).toBe(after);
    expect(statusPage.render().incidents.incidents[0].status).toBe('resolved');
  });

  it('rejects unknown scenarios with the valid names', async () => {
    await expect(world.setScenario('nope')).rejects.toThrow(
      /valid scenarios: healthy, vendor-outage/,
    );
  });
});
