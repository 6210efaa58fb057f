/**
 * Who may read an entity's signals, through the plugin as wired (real gate, config reader,
 * database and error handler; catalog and permissions mocked, upstream clients counted).
 */
import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { vastaiIncidentUpstreamsExtensionPoint } from '../extensions';
import { vastaiIncidentPlugin } from '../plugin';
import type { KubernetesReader, PrometheusClient } from '../probes';
import { recordingAuditor } from '../testing/actionsTestKit';
import { closedPort } from '../testing/localServer';

jest.setTimeout(60_000);

const BASE = '/api/vastai-incident/v1/entities/default/component';
const ROUTES = ['triage', 'metrics/error-ratio', 'pods', 'logs'];

const entity = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'vast.ai/integration': 'vastai-integration' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/a' },
});

/** Upstream clients that answer empty and count every call. */
function countingUpstreams() {
  const calls = { kubernetes: 0, prometheus: 0 };
  const kubernetes: KubernetesReader = {
    readDeployment: async () => {
      calls.kubernetes++;
      return {
        metadata: { name: 'vastai-integration' },
        spec: { selector: { matchLabels: { app: 'x' } } },
      } as any;
    },
    listPods: async () => {
      calls.kubernetes++;
      return [];
    },
    listWarningEvents: async () => {
      calls.kubernetes++;
      return [];
    },
    readPodLog: async () => {
      calls.kubernetes++;
      return '';
    },
  };
  const prometheus: PrometheusClient = {
    instant: async () => {
      calls.prometheus++;
      return 0;
    },
    instantVector: async () => {
      calls.prometheus++;
      return [];
    },
    range: async () => {
      calls.prometheus++;
      return [];
    },
  };
  const module = createBackendModule({
    pluginId: 'vastai-incident',
    moduleId: 'counting-upstreams',
    register(env) {
      env.registerInit({
        deps: { upstreams: vastaiIncidentUpstreamsExtensionPoint },
        async init({ upstreams }) {
          upstreams.setUpstreamClients({
            prometheus,
            kubernetes: () => kubernetes,
          });
        },
      });
    },
  });
  return { calls, module };
}

/** Denies the named permissions, allows the rest. */
const denying = (...names: string[]) =>
  createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => ({
      authorize: async (requests: any[]) =>
        requests.map(r => ({
          result: names.includes(r.permission.name)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
        })),
      authorizeConditional: async () => [],
    }),
  });

describe('signals router', () => {
  async function start(deniedPermissions: string[] = []) {
    const health = await closedPort();
    const upstreams = countingUpstreams();
    const auditor = recordingAuditor();
    const { server } = await startTestBackend({
      features: [
        vastaiIncidentPlugin,
        upstreams.module,
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [{ name: 'test', url: 'http://127.0.0.1:1' }],
                },
              ],
            },
            vastaiIncident: {
              upstreamTimeoutMs: 300,
              vendor: { status: { type: 'none' } },
              prometheus: { baseUrl: 'http://127.0.0.1:1' },
              integrations: {
                'vastai-integration': {
                  entities: ['component:default/vastai-integration'],
                  healthUrl: `http://127.0.0.1:${health}/health`,
                  prometheusJob: 'vastai-integration',
                  kubernetes: {
                    cluster: 'test',
                    namespace: 'vastai',
                    deployment: 'vastai-integration',
                  },
                },
              },
            },
          },
        }),
        catalogServiceMock.factory({
          entities: [entity('vastai-integration'), entity('intruder')],
        }),
        createServiceFactory({
          service: coreServices.auditor,
          deps: {},
          factory: () => auditor,
        }),
        denying(...deniedPermissions),
      ],
    });
    return { server, calls: upstreams.calls, auditor };
  }

  const get = (server: any, path: string) =>
    request(server)
      .get(`${BASE}/${path}`)
      .set('Authorization', mockCredentials.user.header());

  it('refuses an entity not bound to the integration it names on every signal route (403 naming the binding), calling no upstream', async () => {
    const { server, calls, auditor } = await start();
    for (const path of ROUTES) {
      const res = await get(server, `intruder/${path}`);
      expect({ path, status: res.status, error: res.body.error }).toEqual({
        path,
        status: 403,
        error: expect.objectContaining({
          name: 'NotAllowedError',
          message:
            'component:default/intruder is not bound to integration "vastai-integration": vastaiIncident.integrations.vastai-integration.entities does not list it',
        }),
      });
    }
    expect(calls).toEqual({ kubernetes: 0, prometheus: 0 });
    expect(
      auditor.events.filter(e => e.eventId === 'entity-access-refused'),
    ).toHaveLength(ROUTES.length);

    // The bound entity is served.
    expect((await get(server, 'vastai-integration/pods')).status).toBe(200);
  });

  it('serves logs only with the logs permission; triage, metrics and pods with the read permission', async () => {
    const { server, calls } = await start(['vastai.incident.logs.read']);
    for (const path of ['triage', 'metrics/error-ratio', 'pods']) {
      const res = await get(server, `vastai-integration/${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    calls.kubernetes = 0;
    const logs = await get(server, 'vastai-integration/logs');
    expect(logs.status).toBe(403);
    expect(logs.body.error.message).toBe(
      'Not allowed to read the logs, evidence and timeline details for component:default/vastai-integration (needs vastai.incident.logs.read)',
    );
    expect(calls.kubernetes).toBe(0);
  });
});
