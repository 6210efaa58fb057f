/**
 * The actions' HTTP routes in the plugin as wired (real httpAuth, error handler, database and
 * gate; catalog, permissions and auditor mocked), against the sandbox's Kubernetes and Vast.ai.
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Sandbox, startSandbox } from '@internal/vastai-sandbox';
import request from 'supertest';
import type { JsonObject } from '@backstage/types';
import {
  fakePermissions,
  INTEGRATION,
  recordingAuditor,
  sandboxConfig,
} from '../testing/actionsTestKit';
import { vastaiIncidentPlugin } from '../plugin';

jest.setTimeout(120_000);

const BASE = '/api/vastai-incident/v1/entities/default/component';
const PASTED = 'pasted-canary-key-0123456789abcdef';
const UNKNOWN_RUN = '00000000-0000-4000-8000-000000000000';

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
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
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

  async function start(
    databaseId: TestDatabaseId,
    allowed?: string[],
    actions: JsonObject = {},
  ) {
    const knex = await databases.init(databaseId);
    const permissions = fakePermissions(allowed);
    const auditor = recordingAuditor();
    const { server } = await startTestBackend({
      features: [
        vastaiIncidentPlugin,
        mockServices.rootConfig.factory({
          data: sandboxConfig(sandbox.urls, actions),
        }),
        mockServices.database.factory({ knex }),
        catalogServiceMock.factory({
          entities: [
            entity('vastai-integration', INTEGRATION),
            entity('plain-service'),
            // Names an integration whose `entities` do not list it.
            entity('intruder', INTEGRATION),
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

  it.each(databases.eachSupportedId())(
    'deny over HTTP: 403, no Kubernetes write, no vendor call, one audit row, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { server, knex, auditor } = await start(databaseId, [
        'vastai.incident.read',
      ]);
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
        {
          eventId: 'rollout-restart',
          severityLevel: 'medium',
          outcome: 'fail',
        },
      ]);
      // The history route is readable with the read permission, and shows the attempt.
      const history = await request(server)
        .get(`${BASE}/vastai-integration/actions/history`)
        .set('Authorization', user());
      expect(history.status).toBe(200);
      expect(history.body.entries).toMatchObject([
        { outcome: 'denied', actionId: 'rollout-restart' },
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'accepts only users, validates every input with a 400, and never echoes a pasted key, on %p',
    async databaseId => {
      const { server } = await start(databaseId);
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
    },
  );

  it.each(databases.eachSupportedId())(
    'dry run, apply (202), progress, replay over HTTP, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { server } = await start(databaseId);
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
    },
  );

  it.each(databases.eachSupportedId())(
    'an Idempotency-Key reused by another user or for another request: 422 over HTTP, never the run, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { server } = await start(databaseId);
      const apply = (actionId: string, who: string) =>
        request(server)
          .post(`${BASE}/vastai-integration/actions/${actionId}`)
          .set('Authorization', mockCredentials.user.header(who))
          .set('Idempotency-Key', 'http-scoped-1')
          .send({ dryRun: false });
      const first = await apply('rollout-restart', 'user:default/alice');
      expect(first.status).toBe(202);
      for (const [actionId, who, message] of [
        ['rollout-restart', 'user:default/bob', /another user/],
        ['queue-mode', 'user:default/alice', /different request/],
      ] as const) {
        const reused = await apply(actionId, who);
        expect(reused.status).toBe(422);
        expect(reused.body.error.message).toMatch(message);
        expect(JSON.stringify(reused.body)).not.toContain(first.body.runId);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses an entity not bound to the integration it names on every action route (403 naming the binding), writes nothing, and records each refusal, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { server, knex, auditor } = await start(databaseId);
      sandbox.kube.clearWrites();
      // Key writes at Vast.ai (a background probe of the plugin may read meanwhile).
      const keyWrites = () =>
        sandbox.vastCalls().byIdentityAndEndpoint.operator?.[
          'POST /api/v0/auth/apikeys/'
        ] ?? 0;
      const operator = keyWrites();
      const at = `${BASE}/intruder/actions`;
      const routes: Array<[string, () => request.Test]> = [
        [
          'POST dry run',
          () => request(server).post(`${at}/queue-mode`).send({ dryRun: true }),
        ],
        [
          'POST apply',
          () =>
            request(server)
              .post(`${at}/rollout-restart`)
              .set('Idempotency-Key', 'unbound-1')
              .send({ dryRun: false }),
        ],
        [
          'POST rotate',
          () =>
            request(server)
              .post(`${at}/rotate-api-key`)
              .set('Idempotency-Key', 'unbound-2')
              .send({ dryRun: false, newApiKey: PASTED }),
        ],
        ['GET history', () => request(server).get(`${at}/history`)],
        ['GET run', () => request(server).get(`${at}/runs/${UNKNOWN_RUN}`)],
        [
          'POST approve',
          () =>
            request(server)
              .post(`${at}/runs/${UNKNOWN_RUN}/approve`)
              .send({ newApiKey: PASTED }),
        ],
      ];
      for (const [route, send] of routes) {
        const res = await send().set('Authorization', user());
        expect({ route, status: res.status, error: res.body.error }).toEqual({
          route,
          status: 403,
          error: expect.objectContaining({
            name: 'NotAllowedError',
            message:
              'component:default/intruder is not bound to integration "vastai-integration": vastaiIncident.integrations.vastai-integration.entities does not list it',
          }),
        });
      }
      expect(sandbox.kube.writes()).toEqual([]);
      expect(keyWrites()).toBe(operator);
      expect(await knex('vastai_action_runs').select()).toEqual([]);

      // Each refusal: one audit row and one failed auditor event, with no secret in either.
      const rows = await knex('vastai_access_audit').orderBy('id');
      expect(rows).toHaveLength(routes.length);
      for (const row of rows) {
        expect(row).toMatchObject({
          actor: 'user:default/alice',
          entity_ref: 'component:default/intruder',
          integration: 'vastai-integration',
          outcome: 'unbound',
        });
      }
      const refusals = auditor.events.filter(
        e => e.eventId === 'entity-access-refused',
      );
      expect(refusals).toHaveLength(routes.length);
      for (const event of refusals) {
        expect(event).toMatchObject({
          severityLevel: 'high',
          outcome: 'fail',
          meta: {
            entityRef: 'component:default/intruder',
            integration: 'vastai-integration',
            outcome: 'unbound',
          },
        });
      }
      const recorded = JSON.stringify({ rows, events: auditor.events });
      for (const secret of [PASTED, 'sandbox-operator-key', 'sandbox-token']) {
        expect(recorded).not.toContain(secret);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'authorizes an approval before reading the run: 404 for whoever may not read the entity, 403 alike for a run that exists and one that does not, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { server, permissions, knex } = await start(databaseId, undefined, {
        requireSecondApprovalForKeyRotation: true,
      });
      const asked = await request(server)
        .post(`${BASE}/vastai-integration/actions/rotate-api-key`)
        .set('Authorization', user())
        .set('Idempotency-Key', 'approve-1')
        .send({ dryRun: false });
      expect(asked.status).toBe(202);
      expect(asked.body.status).toBe('awaiting-approval');
      const runId = asked.body.runId;
      const bob = mockCredentials.user.header('user:default/bob');
      const approve = (id: string) =>
        request(server)
          .post(`${BASE}/vastai-integration/actions/runs/${id}/approve`)
          .set('Authorization', bob)
          .send({});
      const answers = async () => {
        const pending = await approve(runId);
        const unknown = await approve(UNKNOWN_RUN);
        return {
          pending: [pending.status, pending.body.error?.name],
          unknown: [unknown.status, unknown.body.error?.name],
        };
      };

      // May not read the entity: the run does not exist for them.
      permissions.allowed = [];
      expect(await answers()).toEqual({
        pending: [404, 'NotFoundError'],
        unknown: [404, 'NotFoundError'],
      });
      const reading = await request(server)
        .get(`${BASE}/vastai-integration/actions/runs/${runId}`)
        .set('Authorization', bob);
      expect(reading.status).toBe(404);

      // May read, may not rotate: the same refusal whether the run exists or not.
      permissions.allowed = ['vastai.incident.read'];
      expect(await answers()).toEqual({
        pending: [403, 'NotAllowedError'],
        unknown: [403, 'NotAllowedError'],
      });

      // Nothing was approved or written; the run still waits.
      permissions.allowed = undefined;
      const run = await request(server)
        .get(`${BASE}/vastai-integration/actions/runs/${runId}`)
        .set('Authorization', user());
      expect(run.body.status).toBe('awaiting-approval');
      expect(
        (await knex('vastai_access_audit').select()).map(r => r.outcome),
      ).toEqual(['denied', 'denied', 'denied']);
    },
  );

  it.each(databases.eachSupportedId())(
    'answers 400, never 500, for entity refs longer than the catalog allows, even when the request is denied, on %p',
    async databaseId => {
      const { server, knex } = await start(databaseId, []);
      const long = (n: number) => 'n'.repeat(n);
      for (const path of [
        `/api/vastai-incident/v1/entities/${long(100)}/component/${long(
          200,
        )}/actions/queue-mode`,
        `${BASE}/${long(64)}/actions/queue-mode`,
        `/api/vastai-incident/v1/entities/default/${long(
          64,
        )}/x/actions/queue-mode`,
      ]) {
        const res = await request(server)
          .post(path)
          .set('Authorization', user())
          .set('Idempotency-Key', 'long-1')
          .send({ dryRun: false });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(
          /must be at most 63 characters \(the catalog's limit\)/,
        );
      }
      for (const path of [
        `${BASE}/${long(64)}/actions/history`,
        `${BASE}/${long(64)}/actions/runs/${UNKNOWN_RUN}`,
      ]) {
        const res = await request(server)
          .get(path)
          .set('Authorization', user());
        expect(res.status).toBe(400);
      }
      expect(await knex('vastai_action_audit').select()).toEqual([]);
      expect(await knex('vastai_access_audit').select()).toEqual([]);
    },
  );
});
