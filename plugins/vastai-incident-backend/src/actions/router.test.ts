/**
 * The actions' HTTP routes inside a test backend (real httpAuth, error handler and database
 * wiring; catalog and permissions mocked): what the lead wires into plugin.ts, minus the rest.
 */
import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Sandbox, startSandbox } from '@internal/vastai-sandbox';
import request from 'supertest';
import {
  fakePermissions,
  INTEGRATION,
  recordingAuditor,
  sandboxConfig,
} from './actionsTestKit';
import { createActionsRouter, createActionsService } from './index';

jest.setTimeout(120_000);

const BASE = '/api/vastai-incident/v1/entities/default/component';
const PASTED = 'pasted-canary-key-0123456789abcdef';

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

describe('actions router', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      prometheus: false,
      kube: { rolloutStepMs: 100 },
    });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  async function start(allowed?: string[]) {
    const knex = await databases.init('SQLITE_3');
    const permissions = fakePermissions(allowed);
    const auditor = recordingAuditor();
    const plugin = createBackendPlugin({
      pluginId: 'vastai-incident',
      register(env) {
        env.registerInit({
          deps: {
            logger: coreServices.logger,
            database: coreServices.database,
            auditor: coreServices.auditor,
            permissions: coreServices.permissions,
            httpAuth: coreServices.httpAuth,
            httpRouter: coreServices.httpRouter,
            config: coreServices.rootConfig,
            catalog: catalogServiceRef,
          },
          async init(deps) {
            const actions = await createActionsService(deps);
            deps.httpRouter.use(
              createActionsRouter({
                httpAuth: deps.httpAuth,
                permissions: deps.permissions,
                catalog: deps.catalog,
                actions,
              }),
            );
          },
        });
      },
    });
    const { server } = await startTestBackend({
      features: [
        plugin,
        mockServices.rootConfig.factory({ data: sandboxConfig(sandbox.urls) }),
        mockServices.database.factory({ knex }),
        catalogServiceMock.factory({
          entities: [
            entity('vastai-integration', INTEGRATION),
            entity('plain-service'),
          ],
        }),
        createServiceFactory({
          service: coreServices.permissions,
          deps: {},
          factory: () => permissions,
        }),
        createServiceFactory({
          service: coreServices.auditor,
          deps: {},
          factory: () => auditor,
        }),
      ],
    });
    return { server, knex, permissions, auditor };
  }

  const user = () => mockCredentials.user.header('user:default/alice');

  it('deny over HTTP: 403, no Kubernetes write, no vendor call, one audit row', async () => {
    await sandbox.setScenario('healthy');
    const { server, knex, auditor } = await start(['vastai.incident.read']);
    sandbox.kube.clearWrites();
    const operator = sandbox.vastCalls().byIdentity.operator ?? 0;
    const res = await request(server)
      .post(`${BASE}/vastai-integration/actions/rollout-restart`)
      .set('Authorization', user())
      .set('Idempotency-Key', 'deny-1')
      .send({ dryRun: false });
    expect(res.status).toBe(403);
    expect(res.body.error.name).toBe('NotAllowedError');
    expect(sandbox.kube.writes()).toEqual([]);
    expect(sandbox.vastCalls().byIdentity.operator ?? 0).toBe(operator);
    const rows = await knex('vastai_action_audit').select();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      outcome: 'denied',
      action_id: 'rollout-restart',
      actor: 'user:default/alice',
    });
    expect(auditor.events).toMatchObject([
      { eventId: 'rollout-restart', severityLevel: 'medium', outcome: 'fail' },
    ]);
    // The history route is readable with the read permission, and shows the attempt.
    const history = await request(server)
      .get(`${BASE}/vastai-integration/actions/history`)
      .set('Authorization', user());
    expect(history.status).toBe(200);
    expect(history.body.entries).toMatchObject([
      { outcome: 'denied', actionId: 'rollout-restart' },
    ]);
  });

  it('accepts only users, validates every input with a 400, and never echoes a pasted key', async () => {
    const { server } = await start();
    const post = (
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ) => {
      const r = request(server)
        .post(`${BASE}/${path}`)
        .set('Authorization', headers.Authorization ?? user());
      for (const [k, v] of Object.entries(headers))
        if (k !== 'Authorization') r.set(k, v);
      return r.send(body as object);
    };
    const service = await post(
      'vastai-integration/actions/rollout-restart',
      { dryRun: true },
      {
        Authorization: mockCredentials.service.header(),
      },
    );
    expect([401, 403]).toContain(service.status);
    const cases: Array<[string, unknown, Record<string, string>]> = [
      ['vastai-integration/actions/reboot-everything', { dryRun: true }, {}],
      ['vastai-integration/actions/rollout-restart', { dryRun: 'yes' }, {}],
      [
        'vastai-integration/actions/rollout-restart',
        { dryRun: false, extra: 1 },
        {},
      ],
      [
        'vastai-integration/actions/rollout-restart',
        { dryRun: false },
        { 'Idempotency-Key': 'bad key with spaces' },
      ],
      ['vastai-integration/actions/rollout-restart', { dryRun: false }, {}],
      [
        'vastai-integration/actions/rotate-api-key',
        { dryRun: false, newApiKey: `${PASTED} x` },
        { 'Idempotency-Key': 'k1' },
      ],
      [
        'vastai-integration/actions/queue-mode',
        { dryRun: false, newApiKey: PASTED },
        { 'Idempotency-Key': 'k2' },
      ],
    ];
    for (const [path, body, headers] of cases) {
      const res = await post(path, body, headers);
      expect({ path, body, status: res.status }).toEqual({
        path,
        body,
        status: 400,
      });
      expect(JSON.stringify(res.body)).not.toContain(PASTED);
    }
    const broken = await request(server)
      .post(`${BASE}/vastai-integration/actions/rotate-api-key`)
      .set('Authorization', user())
      .set('Content-Type', 'application/json')
      .send(`{"dryRun": false, "newApiKey": "${PASTED}`);
    expect(broken.status).toBe(400);
    expect(broken.text).not.toContain(PASTED);
    const missing = await post('plain-service/actions/rollout-restart', {
      dryRun: true,
    });
    expect(missing.status).toBe(404);
  });

  it('dry run, apply (202), progress, replay over HTTP', async () => {
    await sandbox.setScenario('healthy');
    const { server } = await start();
    const dry = await request(server)
      .post(`${BASE}/vastai-integration/actions/enable-fallback`)
      .set('Authorization', user())
      .send({ dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      status: 'dry-run',
      diff: [
        {
          path: 'spec.template.spec.containers[app].env[VASTAI_FALLBACK]',
          before: 'false',
          after: 'true',
        },
      ],
    });
    const apply = await request(server)
      .post(`${BASE}/vastai-integration/actions/enable-fallback`)
      .set('Authorization', user())
      .set('Idempotency-Key', 'http-apply-1')
      .send({ dryRun: false });
    expect(apply.status).toBe(202);
    expect(apply.body).toMatchObject({
      status: 'running',
      actor: 'user:default/alice',
    });
    const runId = apply.body.runId;
    let progress: any;
    for (let i = 0; i < 200; i++) {
      progress = await request(server)
        .get(`${BASE}/vastai-integration/actions/runs/${runId}`)
        .set('Authorization', user());
      if (progress.body.status !== 'running') break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(['succeeded', 'unverified']).toContain(progress.body.status);
    const replay = await request(server)
      .post(`${BASE}/vastai-integration/actions/enable-fallback`)
      .set('Authorization', user())
      .set('Idempotency-Key', 'http-apply-1')
      .send({ dryRun: false });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(progress.body);
  });
});
