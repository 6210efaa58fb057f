import { startSandbox, Sandbox } from '../index';
import { makeKubectl } from '../testing/kubectl';
import { promValue, waitUntil } from '../testing/prometheus';

jest.setTimeout(150_000);

const JOB = 'vastai-integration';

/** Every scenario of the README brings the world to the state of its table row. */
describe('scenarios reach their intended state', () => {
  let sandbox: Sandbox;
  let prom: string;
  let kubectl: Awaited<ReturnType<typeof makeKubectl>>;
  let service: string;

  beforeAll(async () => {
    sandbox = await startSandbox({
      prometheus: 'required',
      kube: { rolloutStepMs: 400, crashLoopIntervalMs: 1500 },
    });
    prom = sandbox.urls.prometheus!;
    service = sandbox.urls.services[JOB];
    kubectl = await makeKubectl(sandbox.urls.kubeconfig);
  });
  afterAll(async () => {
    await kubectl?.cleanup();
    await sandbox?.stop();
  });

  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sandbox.urls.control}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const summary = async () =>
    (await fetch(`${sandbox.urls.statusPage}/api/v2/summary.json`)).json();
  const health = async () => {
    const res = await fetch(`${service}/health`);
    return { status: res.status, body: await res.json() };
  };
  const metricsText = async () => (await fetch(`${service}/metrics`)).text();
  const counter = (text: string, series: string) => {
    const line = text.split('\n').find(l => l.startsWith(`${series} `));
    return line ? Number(line.split(' ')[1]) : undefined;
  };
  const errorLines = async () => {
    const pods = JSON.parse(
      await kubectl.ok([
        '-n',
        'vastai',
        'get',
        'pods',
        '-l',
        `app=${JOB}`,
        '-o',
        'json',
      ]),
    ).items;
    const logs = await Promise.all(
      pods.map((p: any) =>
        kubectl.run(['-n', 'vastai', 'logs', p.metadata.name, '--tail=200']),
      ),
    );
    return logs
      .flatMap(l => l.stdout.split('\n'))
      .filter(l => l.includes('level=error'));
  };
  const vendorCall = (key: string) =>
    fetch(`${sandbox.urls.vastApi}/api/v0/users/current/`, {
      headers: { authorization: `Bearer ${key}` },
    });

  it('switches through the control API and rejects unknown names', async () => {
    const bad = await control('PUT', '/scenario', { name: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.validScenarios).toContain('rate-limited');
    const ok = await control('PUT', '/scenario', { name: 'healthy' });
    expect(ok.body.name).toBe('healthy');
    expect((await control('GET', '/scenario')).body.name).toBe('healthy');
  });

  it('healthy', async () => {
    await sandbox.setScenario('healthy');
    expect((await summary()).status.indicator).toBe('none');
    await waitUntil(
      'successful calls scraped',
      () =>
        promValue(
          prom,
          `sum(increase(vastai_requests_total{job="${JOB}",status="200"}[5s]))`,
        ),
      v => (v ?? 0) > 0,
      20_000,
    );
    expect(await health()).toEqual({
      status: 200,
      body: { services: { vastai: { status: 'healthy' } } },
    });
    expect(
      await promValue(prom, `sum(vastai_errors_total{job="${JOB}"})`),
    ).toBe(0);
    const pods = JSON.parse(
      await kubectl.ok([
        '-n',
        'vastai',
        'get',
        'pods',
        '-l',
        `app=${JOB}`,
        '-o',
        'json',
      ]),
    ).items;
    expect(pods).toHaveLength(2);
    expect(pods.every((p: any) => p.status.containerStatuses[0].ready)).toBe(
      true,
    );
    expect(await errorLines()).toEqual([]);
    // The product's probe identity is separate and was not used by anyone.
    expect(sandbox.vastCalls().byIdentity.operator).toBeUndefined();
  });

  it('vendor-outage', async () => {
    await sandbox.setScenario('vendor-outage');
    const s = await summary();
    expect(s.status.indicator).toBe('major');
    expect(s.incidents[0].status).not.toBe('resolved');
    expect(s.components.some((c: any) => c.status === 'major_outage')).toBe(
      true,
    );
    expect((await vendorCall('sandbox-operator-key')).status).toBe(503);
    await waitUntil(
      'server errors',
      async () =>
        counter(
          await metricsText(),
          'vastai_errors_total{error_type="server_error"}',
        ) ?? 0,
      v => v > 5,
      10_000,
    );
    expect((await health()).body).toEqual({
      services: { vastai: { status: 'down' } },
    });
    expect(
      (await errorLines()).some(
        l => l.includes('error_type=server_error') && l.includes('status=503'),
      ),
    ).toBe(true);
  });

  it('auth-failure', async () => {
    await sandbox.setScenario('auth-failure');
    expect((await summary()).status.indicator).toBe('none');
    expect((await vendorCall('sandbox-operator-key')).status).toBe(200);
    await waitUntil(
      'auth errors',
      async () =>
        counter(
          await metricsText(),
          'vastai_errors_total{error_type="auth_error"}',
        ) ?? 0,
      v => v > 5,
      10_000,
    );
    expect(
      counter(
        await metricsText(),
        'vastai_requests_total{method="POST",endpoint="/api/v0/bundles/",status="401"}',
      ),
    ).toBeGreaterThan(0);
    const lines = await errorLines();
    expect(
      lines.some(
        l =>
          l.includes('error_type=auth_error') &&
          l.includes('status=401') &&
          l.includes('Invalid user key'),
      ),
    ).toBe(true);
  });

  it('rate-limited', async () => {
    await sandbox.setScenario('rate-limited');
    await waitUntil(
      'mostly 429',
      async () => {
        const text = await metricsText();
        return [
          counter(text, 'vastai_errors_total{error_type="rate_limited"}') ?? 0,
          counter(
            text,
            'vastai_requests_total{method="POST",endpoint="/api/v0/bundles/",status="200"}',
          ) ?? 0,
        ];
      },
      ([limited, ok]) => limited > 10 && limited > ok,
      15_000,
    );
    expect(
      (await errorLines()).some(
        l =>
          l.includes('error_type=rate_limited') &&
          l.includes('API requests too frequent'),
      ),
    ).toBe(true);
    expect(
      sandbox
        .vastCalls()
        .calls.some(c => c.identity === JOB && c.status === 429),
    ).toBe(true);
  });

  it('degraded-latency: real slow answers, p99 above 5 s in Prometheus, no errors', async () => {
    await sandbox.setScenario('degraded-latency');
    const s = await summary();
    expect(s.status.indicator).toBe('minor');
    expect(s.incidents[0].name).toBe('Elevated API latency');
    const p99 = await waitUntil(
      'p99 above 5 s',
      () =>
        promValue(
          prom,
          `histogram_quantile(0.99, sum by (le) (rate(vastai_request_duration_seconds_bucket{job="${JOB}"}[15s])))`,
        ),
      v => v !== undefined && v > 5,
      40_000,
      1000,
    );
    expect(p99).toBeLessThan(15);
    expect((await health()).body.services.vastai.status).toBe('degraded');
    expect(
      await promValue(prom, `sum(vastai_errors_total{job="${JOB}"})`),
    ).toBe(0);
  });

  it('pods-crashing: CrashLoopBackOff, OOMKilled, BackOff events, health refused, up = 0', async () => {
    await sandbox.setScenario('pods-crashing');
    await expect(fetch(`${service}/health`)).rejects.toThrow();
    const pods = await waitUntil(
      'pods in CrashLoopBackOff',
      async () =>
        JSON.parse(
          await kubectl.ok([
            '-n',
            'vastai',
            'get',
            'pods',
            '-l',
            `app=${JOB}`,
            '-o',
            'json',
          ]),
        ).items,
      (items: any[]) =>
        items.length > 0 &&
        items.every(
          p =>
            p.status.containerStatuses?.[0]?.state?.waiting?.reason ===
              'CrashLoopBackOff' &&
            p.status.containerStatuses[0].restartCount >= 1,
        ),
      20_000,
    );
    expect(
      pods[0].status.containerStatuses[0].lastState.terminated.reason,
    ).toBe('OOMKilled');
    const events = JSON.parse(
      await kubectl.ok(['-n', 'vastai', 'get', 'events', '-o', 'json']),
    ).items;
    expect(
      events.some((e: any) => e.type === 'Warning' && e.reason === 'BackOff'),
    ).toBe(true);
    await waitUntil(
      'scrape up = 0',
      () => promValue(prom, `up{job="${JOB}"}`),
      v => v === 0,
      15_000,
    );
    expect(await promValue(prom, 'up{job="vastai-batch-worker"}')).toBe(1);
    expect((await vendorCall('sandbox-operator-key')).status).toBe(200);
  });

  it('minor-errors: a trickle of timeouts (about 0.5%)', async () => {
    await sandbox.setScenario('minor-errors');
    const okSeries =
      'vastai_requests_total{method="POST",endpoint="/api/v0/bundles/",status="200"}';
    // A trickle: the first timeout comes early, then about one in two hundred calls.
    const text = await waitUntil(
      'a timeout over a few hundred calls',
      metricsText,
      t =>
        (counter(t, 'vastai_errors_total{error_type="timeout"}') ?? 0) >= 1 &&
        (counter(t, okSeries) ?? 0) >= 250,
      60_000,
      1000,
    );
    const timeouts = counter(
      text,
      'vastai_errors_total{error_type="timeout"}',
    )!;
    const ok = counter(text, okSeries)!;
    expect(timeouts / (ok + timeouts)).toBeLessThan(0.015);
    expect((await health()).body.services.vastai.status).toBe('healthy');
    expect(
      (await errorLines()).some(l => l.includes('error_type=timeout')),
    ).toBe(true);
  });

  it('monitoring-gap: /metrics 500, up = 0, service fine', async () => {
    await sandbox.setScenario('monitoring-gap');
    expect((await fetch(`${service}/metrics`)).status).toBe(500);
    await waitUntil(
      'scrape up = 0',
      () => promValue(prom, `up{job="${JOB}"}`),
      v => v === 0,
      15_000,
    );
    expect((await health()).status).toBe(200);
  });

  it('recovered: a burst of server errors on entering, none now; the incident resolved', async () => {
    await sandbox.setScenario('recovered');
    const incidents = await (
      await fetch(`${sandbox.urls.statusPage}/api/v2/incidents.json`)
    ).json();
    expect(incidents.incidents[0]).toMatchObject({
      status: 'resolved',
      resolved_at: expect.any(String),
    });
    expect((await summary()).status.indicator).toBe('none');
    await waitUntil(
      'errors in the burst',
      async () =>
        counter(
          await metricsText(),
          'vastai_errors_total{error_type="server_error"}',
        ) ?? 0,
      v => v > 0,
      10_000,
    );
    await waitUntil(
      'no errors now',
      () =>
        promValue(prom, `sum(increase(vastai_errors_total{job="${JOB}"}[3s]))`),
      v => v === 0,
      20_000,
    );
    expect(
      await promValue(
        prom,
        `sum(max_over_time(vastai_errors_total{job="${JOB}",error_type="server_error"}[1h]))`,
      ),
    ).toBeGreaterThan(0);
  });

  const networkErrors = () =>
    metricsText().then(
      t => counter(t, 'vastai_errors_total{error_type="network_error"}') ?? 0,
    );

  it('vendor-unreachable: every caller is reset, the status page still operational', async () => {
    await sandbox.setScenario('vendor-unreachable');
    expect((await summary()).status.indicator).toBe('none');
    await expect(vendorCall('sandbox-operator-key')).rejects.toThrow();
    await waitUntil('network errors', networkErrors, n => n >= 10, 10_000);
    const h = await waitUntil(
      'health down',
      health,
      x => x.body.services?.vastai?.status === 'down',
      10_000,
    );
    expect(h.status).toBe(200);
    expect((await control('GET', '/state')).body.vendor.unreachable).toBe(true);
  });

  it("egress-blocked: only the service's calls are refused; the probe and the batch worker reach Vast.ai", async () => {
    await sandbox.setScenario('egress-blocked');
    expect((await vendorCall('sandbox-operator-key')).status).toBe(200);
    await waitUntil('network errors', networkErrors, n => n >= 10, 10_000);
    await waitUntil(
      'health down',
      health,
      x => x.body.services?.vastai?.status === 'down',
      10_000,
    );
    const batch = await (
      await fetch(`${sandbox.urls.services['vastai-batch-worker']}/health`)
    ).json();
    expect(batch.services.vastai.status).toBe('healthy');
    expect(
      (await control('GET', '/state')).body.services[JOB].egressBlocked,
    ).toBe(true);
  });

  it('vendor-slow-silent: slow answers, the status page operational with no incident', async () => {
    await sandbox.setScenario('vendor-slow-silent');
    const page = await summary();
    expect(page.status.indicator).toBe('none');
    expect(page.incidents).toEqual([]);
    const started = Date.now();
    expect((await vendorCall('sandbox-operator-key')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await waitUntil(
      'health degraded by latency',
      health,
      x => x.body.services?.vastai?.status === 'degraded',
      20_000,
    );
    expect(await networkErrors()).toBe(0);
  });

  it('status page modes and health shapes are switchable from the control API', async () => {
    await sandbox.setScenario('healthy');
    await waitUntil(
      'healthy again',
      health,
      h => h.status === 200 && h.body.services?.vastai?.status === 'healthy',
      10_000,
    );
    expect(
      (await control('PUT', '/statuspage/mode', { mode: 'html' })).status,
    ).toBe(200);
    expect(
      (
        await fetch(`${sandbox.urls.statusPage}/api/v2/summary.json`)
      ).headers.get('content-type'),
    ).toContain('text/html');
    expect(
      (await control('PUT', '/statuspage/mode', { mode: 'bogus' })).status,
    ).toBe(400);
    await control('PUT', '/statuspage/mode', { mode: 'json' });
    expect((await control('PUT', '/health/shape', { shape: 3 })).status).toBe(
      200,
    );
    // Shape 3 reports the service's own status word; a slow call on a loaded machine may
    // briefly read "degraded", so wait for the healthy reading rather than sample once.
    const shaped = await waitUntil(
      'the healthy reading in shape 3',
      health,
      h => h.status === 200 && h.body.status === 'healthy',
      10_000,
    );
    expect(shaped.body).toMatchObject({
      status: 'healthy',
      vastai: { connected: true },
    });
    await control('PUT', '/health/shape', { shape: 1 });
    const state = (await control('GET', '/state')).body;
    expect(state.scenario.name).toBe('healthy');
    expect(JSON.stringify(state)).not.toContain('sandbox-operator-key');
    const calls = (await control('GET', '/vast/calls')).body;
    expect(calls.byIdentity[JOB]).toBeGreaterThan(0);
  });

  it('receivers record what they get and fail on demand, through the control API', async () => {
    const post = () =>
      fetch(`${sandbox.urls.receivers}/slack/webhook/ops`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"text":"P2 Vast.ai"}',
      });
    expect(await (await post()).text()).toBe('ok');
    expect(
      (
        await control('PUT', '/receivers/failure', {
          slack: 429,
          statuspage: 500,
        })
      ).body,
    ).toEqual({ slack: 429, statuspage: 500, pagerduty: null });
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    await control('PUT', '/receivers/failure', {
      slack: null,
      statuspage: null,
    });
    const { messages } = (await control('GET', '/receivers/slack')).body;
    expect(messages.map((m: any) => m.status)).toEqual([200, 429]);
    expect(messages[0].body).toEqual({ text: 'P2 Vast.ai' });
    expect(
      (await control('PUT', '/receivers/failure', { slack: 503 })).status,
    ).toBe(400);
  });

  it('never shows a key: not in logs, state, call counts or kube writes', async () => {
    const keys = [
      ...Object.values(sandbox.world.vast.account.seed.serviceKeys),
      sandbox.world.vast.account.seed.operatorKey,
    ];
    const pods = JSON.parse(
      await kubectl.ok(['-n', 'vastai', 'get', 'pods', '-o', 'json']),
    ).items;
    const logs = (
      await Promise.all(
        pods.map((p: any) =>
          kubectl.ok(['-n', 'vastai', 'logs', p.metadata.name]),
        ),
      )
    ).join('\n');
    expect(logs).toContain('api_key_configured=true');
    const exposed = [
      logs,
      JSON.stringify((await control('GET', '/state')).body),
      JSON.stringify((await control('GET', '/vast/calls')).body),
      JSON.stringify((await control('GET', '/kube/writes')).body),
    ].join('\n');
    for (const key of keys) {
      expect(exposed).not.toContain(key);
      expect(exposed).not.toContain(Buffer.from(key).toString('base64'));
    }
  });
});
