import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { TriageReport } from '@vastai-incident/backstage-plugin-common';
import request from 'supertest';
import { vastaiIncidentUpstreamsExtensionPoint } from './extensions';
import { vastaiIncidentPlugin } from './plugin';
import type { KubernetesReader, PrometheusClient } from './probes';
import {
  closedPort,
  LocalServer,
  sendJson,
  startLocalServer,
} from './testing/localServer';

jest.setTimeout(60_000);

const OPERATOR_KEY = 'operator-key-canary-5b1e77';
const BASE = '/api/vastai-incident/v1/entities/default/component';

function entity(name: string, integration?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      ...(integration
        ? { annotations: { 'vast.ai/integration': integration } }
        : {}),
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/team',
    },
  };
}

const ENTITIES = [
  entity('vastai-integration', 'vastai-integration'),
  entity('hanging-service', 'hanging'),
  entity('plain-service'),
  entity('misconfigured', 'not-in-config'),
];

/** Upstream fakes with call counters. */
class Upstreams {
  servers: LocalServer[] = [];
  status!: LocalServer;
  vendor!: LocalServer;
  health!: LocalServer;
  hanging!: LocalServer;
  promCalls = 0;
  kubeCalls = 0;

  async start() {
    this.status = await startLocalServer((_req, res) =>
      sendJson(res, 200, {
        status: { indicator: 'none', description: 'All Systems Operational' },
        components: [{ name: 'API', status: 'operational' }],
        incidents: [],
      }),
    );
    this.vendor = await startLocalServer((req, res) =>
      req.headers.authorization === `Bearer ${OPERATOR_KEY}`
        ? sendJson(res, 200, { id: 1, api_key: OPERATOR_KEY })
        : sendJson(res, 401, { msg: 'Invalid user key' }),
    );
    this.health = await startLocalServer((_req, res) =>
      setTimeout(
        () =>
          sendJson(res, 200, {
            status: 'healthy',
            vastai: { connected: false },
          }),
        30,
      ),
    );
    this.hanging = await startLocalServer(() => undefined);
    this.servers = [this.status, this.vendor, this.health, this.hanging];
  }

  async stop() {
    await Promise.all(this.servers.map(s => s.close()));
  }

  prometheus(): PrometheusClient {
    const value = (query: string) => {
      if (query.includes('auth_error')) return 120;
      if (query.includes('rate_limited') || query.includes('server_error'))
        return 0;
      if (query.startsWith('min(up')) return 1;
      if (query.includes('histogram_quantile')) return 0.3;
      if (query.includes('increase(')) return 500;
      if (query.includes(' / ')) return 0.8;
      return 120;
    };
    return {
      instant: async query => {
        this.promCalls++;
        await new Promise(r => setTimeout(r, 20));
        return value(query);
      },
      instantVector: async () => {
        this.promCalls++;
        return [{ labels: { error_type: 'auth_error' }, points: [[1, 120]] }];
      },
      range: async (_query, bounds) => {
        this.promCalls++;
        return [
          {
            labels: {},
            points: [
              [bounds.start, 0.8],
              [bounds.end, null],
            ],
          },
        ];
      },
    };
  }

  kubernetes(): KubernetesReader {
    const deployment: any = {
      metadata: { name: 'vastai-integration', generation: 1 },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'vastai-integration' } },
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                env: [
                  { name: 'VASTAI_FALLBACK', value: 'false' },
                  { name: 'RATE_LIMIT_MODE', value: 'direct' },
                ],
              },
            ],
          },
        },
      },
      status: {
        observedGeneration: 1,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
      },
    };
    const pod = (name: string): any => ({
      metadata: { name },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'app', restartCount: 0, state: { running: {} } },
        ],
      },
    });
    return {
      readDeployment: async () => {
        this.kubeCalls++;
        return deployment;
      },
      listPods: async () => [
        pod('vastai-integration-1'),
        pod('vastai-integration-2'),
      ],
      listWarningEvents: async () => [],
      readPodLog: async () =>
        `2026-11-28T22:00:00Z ERROR 401 from Vast.ai with key ${OPERATOR_KEY}\n2026-11-28T22:00:01Z INFO fine\n`,
    };
  }
}

describe('router', () => {
  const upstreams = new Upstreams();
  let closedPrometheusPort: number;

  beforeAll(async () => {
    await upstreams.start();
    closedPrometheusPort = await closedPort();
  });
  afterAll(() => upstreams.stop());

  function config() {
    return {
      vastaiIncident: {
        cacheTtlSeconds: 30,
        upstreamTimeoutMs: 300,
        triageTimeoutMs: 1000,
        vendor: {
          apiBaseUrl: `${upstreams.vendor.url}/api/v0`,
          operatorApiKey: OPERATOR_KEY,
          probeMinIntervalSeconds: 30,
          status: { type: 'statuspage', url: upstreams.status.url },
        },
        prometheus: {
          baseUrl: `http://127.0.0.1:${closedPrometheusPort}`,
          rateWindow: '1m',
        },
        integrations: {
          'vastai-integration': {
            entities: ['component:default/vastai-integration'],
            title: 'Vast.ai integration',
            healthUrl: `${upstreams.health.url}/health`,
            prometheusJob: 'vastai-integration',
            kubernetes: {
              cluster: 'test',
              namespace: 'vastai',
              deployment: 'vastai-integration',
              container: 'app',
            },
          },
          hanging: {
            entities: ['component:default/hanging-service'],
            healthUrl: `${upstreams.hanging.url}/health`,
            prometheusJob: 'hanging',
          },
        },
      },
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              {
                name: 'test',
                url: 'http://127.0.0.1:1',
                authProvider: 'serviceAccount',
                serviceAccountToken: 'x',
              },
            ],
          },
        ],
      },
    };
  }

  const injected = () =>
    createBackendModule({
      pluginId: 'vastai-incident',
      moduleId: 'test-upstreams',
      register(env) {
        env.registerInit({
          deps: { upstreamClients: vastaiIncidentUpstreamsExtensionPoint },
          async init({ upstreamClients }) {
            upstreamClients.setUpstreamClients({
              prometheus: upstreams.prometheus(),
              kubernetes: () => upstreams.kubernetes(),
            });
          },
        });
      },
    });

  async function backend(extra: any[] = [], withInjection = true) {
    const { server } = await startTestBackend({
      features: [
        vastaiIncidentPlugin,
        mockServices.rootConfig.factory({ data: config() }),
        catalogServiceMock.factory({ entities: ENTITIES }),
        ...(withInjection ? [injected()] : []),
        ...extra,
      ],
    });
    return server;
  }

  const user = () => mockCredentials.user.header();

  it('answers 401 without credentials; service principals are refused too', async () => {
    const server = await backend([
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
    ]);
    const before = upstreams.status.requests.length;
    for (const path of ['triage', 'pods', 'logs', 'metrics/error-ratio']) {
      const anonymous = await request(server).get(
        `${BASE}/vastai-integration/${path}`,
      );
      expect(anonymous.status).toBe(401);
      const none = await request(server)
        .get(`${BASE}/vastai-integration/${path}`)
        .set('Authorization', mockCredentials.none.header());
      expect(none.status).toBe(401);
    }
    const service = await request(server)
      .get(`${BASE}/vastai-integration/triage`)
      .set('Authorization', mockCredentials.service.header());
    // httpAuth refuses a principal type outside `allow` with NotAllowedError.
    expect(service.status).toBe(403);
    expect(upstreams.status.requests.length).toBe(before);
  });

  it('answers 403 when the read permission is denied, with nothing of an upstream in it; denied callers cost at most the one shared probe round', async () => {
    const server = await backend([
      mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
    ]);
    const calls = () => ({
      status: upstreams.status.requests.length,
      health: upstreams.health.requests.length,
    });
    const before = calls();
    // The probes of a bound integration may start while the permission is decided; they are
    // shared and cached, so however many denied requests come, they cost one round per TTL.
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        request(server)
          .get(`${BASE}/vastai-integration/triage`)
          .set('Authorization', user()),
      ),
    );
    for (const res of answers) {
      expect(res.status).toBe(403);
      expect(Object.keys(res.body)).toEqual(['error', 'request', 'response']);
      expect(JSON.stringify(res.body)).not.toMatch(/operational|healthy/i);
    }
    // Past the triage deadline (1 s here) every probe round that started has ended.
    await new Promise(r => setTimeout(r, 1200));
    const after = calls();
    expect(after.status - before.status).toBeLessThanOrEqual(1);
    expect(after.health - before.health).toBeLessThanOrEqual(1);
  });

  it.each([
    [`${BASE}/vastai-integration/metrics/error-ratio?range=2d`, /range/],
    [`${BASE}/vastai-integration/metrics/raw-promql`, /query id/],
    [
      `${BASE}/vastai-integration/metrics/error-ratio?range=1h&query=up`,
      /query/,
    ],
    [`${BASE}/vastai-integration/logs?sinceMinutes=0`, /sinceMinutes/],
    [`${BASE}/vastai-integration/logs?sinceMinutes=abc`, /sinceMinutes/],
    [`${BASE}/vastai-integration/logs?sinceMinutes=100000`, /sinceMinutes/],
    [`${BASE}/vastai-integration/triage?cluster=prod`, /query/],
    [
      '/api/vastai-incident/v1/entities/default/component/bad%20name/triage',
      /entity reference/,
    ],
    [
      '/api/vastai-incident/v1/entities/default/comp%22onent/x/pods',
      /entity reference/,
    ],
  ])('answers 400 on bad input: %s', async (path, message) => {
    const server = await backend();
    const res = await request(server).get(path).set('Authorization', user());
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(message);
  });

  it.each([
    ['no-such-entity', /No entity/],
    ['plain-service', /no vast.ai\/integration annotation/],
    ['misconfigured', /not configured/],
  ])('answers 404 for %s', async (name, message) => {
    const server = await backend();
    const res = await request(server)
      .get(`${BASE}/${name}/triage`)
      .set('Authorization', user());
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(message);
  });

  it('answers a triage report, and many viewers cost one upstream call each', async () => {
    const server = await backend();
    const beforeStatus = upstreams.status.requests.length;
    const beforeVendor = upstreams.vendor.requests.length;
    const beforeHealth = upstreams.health.requests.length;
    upstreams.promCalls = 0;
    upstreams.kubeCalls = 0;

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        request(server)
          .get(`${BASE}/vastai-integration/triage`)
          .set('Authorization', user()),
      ),
    );
    for (const res of responses) expect(res.status).toBe(200);
    const report = responses[0].body as TriageReport;
    expect(report.entityRef).toBe('component:default/vastai-integration');
    expect(report.integration).toBe('vastai-integration');
    expect(['P1', 'P2', 'P3', 'P4', null]).toContain(report.severity);
    expect([
      'vendor-incident',
      'our-integration',
      'resolved-or-intermittent',
      'our-infrastructure',
      'healthy',
    ]).toContain(report.branch);
    expect(report.severity).toBe('P1'); // 120 auth errors a minute
    expect(report.branch).not.toBe('healthy');
    expect(report.path.length).toBeGreaterThan(0);
    expect(typeof report.verdict).toBe('string');
    expect(Array.isArray(report.actions)).toBe(true);
    expect(report.signals.map(s => s.source)).toEqual([
      'vendor-status',
      'vendor-api',
      'integration-health',
      'metrics',
      'kubernetes',
    ]);
    expect(report.signals.map(s => s.state)).toEqual([
      'ok',
      'ok',
      'ok',
      'failing',
      'ok',
    ]);

    expect(upstreams.status.requests.length - beforeStatus).toBe(1);
    expect(upstreams.vendor.requests.length - beforeVendor).toBe(1);
    expect(upstreams.health.requests.length - beforeHealth).toBe(1);
    expect(upstreams.promCalls).toBe(9); // one run of the metrics probe: 9 named queries
    expect(upstreams.kubeCalls).toBe(1);

    // Within the TTL, further viewers are served from the cache.
    await request(server)
      .get(`${BASE}/vastai-integration/triage`)
      .set('Authorization', user());
    expect(upstreams.health.requests.length - beforeHealth).toBe(1);

    for (const res of responses)
      expect(JSON.stringify(res.body)).not.toContain(OPERATOR_KEY);
  });

  it('answers within its deadline when an upstream hangs, marking that signal unknown', async () => {
    const server = await backend();
    const started = Date.now();
    const res = await request(server)
      .get(`${BASE}/hanging-service/triage`)
      .set('Authorization', user());
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeLessThan(2500);
    const health = (res.body as TriageReport).signals.find(
      s => s.source === 'integration-health',
    )!;
    expect(health.state).toBe('unknown');
    expect(health.reason).toMatch(/300 ms|deadline/);
    const kube = (res.body as TriageReport).signals.find(
      s => s.source === 'kubernetes',
    )!;
    expect(kube.state).toBe('unknown');
  });

  it('starts from config alone, and a dead Prometheus is an unknown signal, not a 500', async () => {
    const server = await backend([], false);
    const res = await request(server)
      .get(`${BASE}/vastai-integration/triage`)
      .set('Authorization', user());
    expect(res.status).toBe(200);
    const metrics = (res.body as TriageReport).signals.find(
      s => s.source === 'metrics',
    )!;
    expect(metrics.state).toBe('unknown');
    expect(metrics.reason).toMatch(/refused|Prometheus/);
    const range = await request(server)
      .get(`${BASE}/vastai-integration/metrics/error-ratio?range=6h`)
      .set('Authorization', user());
    expect(range.status).toBe(200);
    expect(range.body.series).toEqual([]);
    expect(range.body.reason).toMatch(/Prometheus failed/);
  });

  it('answers metrics, pods and logs', async () => {
    const server = await backend();
    const metrics = await request(server)
      .get(`${BASE}/vastai-integration/metrics/error-ratio?range=1h`)
      .set('Authorization', user());
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatchObject({
      queryId: 'error-ratio',
      unit: 'ratio',
      stepSeconds: 30,
      threshold: 0.05,
    });
    expect(metrics.body.end - metrics.body.start).toBe(3600);
    expect(metrics.body.series[0].points[1][1]).toBeNull();

    const pods = await request(server)
      .get(`${BASE}/vastai-integration/pods`)
      .set('Authorization', user());
    expect(pods.status).toBe(200);
    expect(pods.body).toMatchObject({
      source: 'kubernetes',
      state: 'ok',
      value: {
        readyReplicas: 2,
        fallbackEnabled: false,
        rateLimitMode: 'direct',
      },
    });

    const logs = await request(server)
      .get(`${BASE}/vastai-integration/logs?sinceMinutes=15`)
      .set('Authorization', user());
    expect(logs.status).toBe(200);
    expect(logs.body.sinceMinutes).toBe(15);
    expect(logs.body.lines.length).toBe(2); // two pods, one error line each
    expect(JSON.stringify(logs.body)).not.toContain(OPERATOR_KEY);
    expect(logs.body.lines[0].text).toContain('[REDACTED]');
  });
});

describe('the plugin as wired', () => {
  // The incidents and actions routers are mounted by plugin.ts, not by their own tests: prove the
  // Contract's paths reach them.
  it('serves the incidents and actions routes under /v1', async () => {
    const { server } = await startTestBackend({
      features: [
        vastaiIncidentPlugin,
        mockServices.rootConfig.factory({
          data: {
            vastaiIncident: {
              integrations: {
                'vastai-integration': {
                  entities: ['component:default/vastai-integration'],
                  healthUrl: 'http://127.0.0.1:1/health',
                },
              },
            },
          },
        }),
        catalogServiceMock.factory({
          entities: [entity('vastai-integration', 'vastai-integration')],
        }),
      ],
    });
    const incidents = await request(server)
      .get('/api/vastai-incident/v1/incidents')
      .set('Authorization', mockCredentials.user.header());
    expect(incidents.status).toBe(200);
    expect(incidents.body).toEqual(expect.objectContaining({}));

    const unknownIncident = await request(server)
      .get(
        '/api/vastai-incident/v1/incidents/00000000-0000-4000-8000-000000000000',
      )
      .set('Authorization', mockCredentials.user.header());
    expect(unknownIncident.status).toBe(404);
    expect(JSON.stringify(unknownIncident.body)).toMatch(/incident/i);

    const history = await request(server)
      .get(`${BASE}/vastai-integration/actions/history`)
      .set('Authorization', mockCredentials.user.header());
    expect(history.status).toBe(200);
    expect(history.body.entries).toEqual([]);

    // A malformed action body is refused without quoting it: it may hold a pasted key.
    const pasted = 'pasted-key-canary-7f3a9c';
    const malformed = await request(server)
      .post(`${BASE}/vastai-integration/actions/rotate-api-key`)
      .set('Authorization', mockCredentials.user.header())
      .set('Content-Type', 'application/json')
      .send(`{"dryRun": true, "newApiKey": ${pasted}}`);
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).not.toContain(pasted);
    const malformedIncident = await request(server)
      .post('/api/vastai-incident/v1/incidents')
      .set('Authorization', mockCredentials.user.header())
      .set('Content-Type', 'application/json')
      .send(`{"title": ${pasted}}`);
    expect(malformedIncident.status).toBe(400);
    expect(JSON.stringify(malformedIncident.body)).not.toContain(pasted);
  });
});
