/**
 * The actions against the real sandbox (causal world, Kubernetes API, Vast.ai API) on SQLite and
 * PostgreSQL: deny, dry run, idempotency, concurrency, conflicts, causal recovery, exact reverts,
 * and the canary (no secret value anywhere it could leak).
 */
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import { Sandbox, startSandbox } from '@internal/vastai-sandbox';
import type { Knex } from 'knex';
import { createKubernetesWriter } from './kubernetesWriter';
import {
  buildActions,
  dumpActionTables,
  ENTITY_REF,
  eventually,
  fakePermissions,
  INTEGRATION,
  recordingHttp,
  sandboxConfig,
  sandboxReadings,
  writesWithoutDryRun,
} from '../testing/actionsTestKit';
import { DRY_RUN_KEY_PLACEHOLDER } from './keyRotation';
import type { ActionRun } from './types';

jest.setTimeout(180_000);

const NS = 'vastai';
const user = mockCredentials.user('user:default/alice');

describe('remediation actions against the sandbox', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      prometheus: true,
      kube: { rolloutStepMs: 150 },
    });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  const { template, realWrites, operatorCalls, secretValue, keysCreated } =
    sandboxReadings(() => sandbox);

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let knex: Knex;
    let kit: Awaited<ReturnType<typeof buildActions>>;
    const responses: ActionRun[] = [];

    beforeAll(async () => {
      knex = await databases.init(databaseId);
    });
    beforeEach(async () => {
      await sandbox.setScenario('healthy');
      kit = await buildActions({ config: sandboxConfig(sandbox.urls), knex });
    });
    afterEach(async () => {
      await kit.service.idle();
    });

    async function run(
      actionId: ActionRun['actionId'],
      dryRun: boolean,
      idempotencyKey?: string,
      newApiKey?: string,
    ) {
      const integration = kit.service.integration(INTEGRATION)!;
      await kit.service.authorize({
        credentials: user,
        entityRef: ENTITY_REF,
        actionId,
        dryRun,
        idempotencyKey,
      });
      const result = await kit.service.run({
        credentials: user,
        entityRef: ENTITY_REF,
        integration,
        actionId,
        dryRun,
        idempotencyKey,
        newApiKey,
      });
      responses.push(result.run);
      return result;
    }
    async function finished(runId: string) {
      await kit.service.idle();
      return (await kit.service.getRun(ENTITY_REF, runId))!;
    }

    it('deny: 403, zero Kubernetes writes, zero vendor calls, one audit row, a failed auditor event', async () => {
      const permissions = fakePermissions(['vastai.remediation.execute']);
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls),
        knex,
        permissions,
      });
      sandbox.kube.clearWrites();
      const vendorBefore = operatorCalls();
      const auditBefore = (await kit.store.listAudit(ENTITY_REF, 500)).length;
      await expect(
        run('rotate-api-key', false, `deny-${databaseId}`),
      ).rejects.toBeInstanceOf(NotAllowedError);
      expect(permissions.calls).toEqual([
        { permission: 'vastai.secret.rotate', resourceRef: ENTITY_REF },
      ]);
      expect(sandbox.kube.writes()).toEqual([]);
      expect(operatorCalls()).toBe(vendorBefore);
      const audit = await kit.store.listAudit(ENTITY_REF, 500);
      expect(audit.length).toBe(auditBefore + 1);
      expect(audit[0]).toMatchObject({
        actor: 'user:default/alice',
        actionId: 'rotate-api-key',
        outcome: 'denied',
        dryRun: false,
      });
      expect(kit.auditor.events).toEqual([
        expect.objectContaining({
          eventId: 'rotate-api-key',
          severityLevel: 'high',
          outcome: 'fail',
        }),
      ]);
    });

    it('dry run: a readable diff, zero persisted change, every write marked dryRun', async () => {
      const before = sandbox.kube.getObject('Deployment', NS, INTEGRATION)!;
      sandbox.kube.clearWrites();
      const { httpStatus, run: result } = await run('queue-mode', true);
      expect(httpStatus).toBe(200);
      expect(result.status).toBe('dry-run');
      expect(result.diff).toEqual([
        {
          object: `Deployment ${NS}/${INTEGRATION}`,
          path: 'spec.template.spec.containers[app].env[RATE_LIMIT_MODE]',
          before: 'direct',
          after: 'queue',
        },
      ]);
      const after = sandbox.kube.getObject('Deployment', NS, INTEGRATION)!;
      expect(after.metadata.resourceVersion).toBe(
        before.metadata.resourceVersion,
      );
      expect(after.spec.template).toEqual(before.spec.template);
      expect(sandbox.kube.writes().length).toBeGreaterThan(0);
      expect(realWrites()).toEqual([]);
      expect(kit.auditor.events[0]).toMatchObject({
        eventId: 'queue-mode',
        severityLevel: 'medium',
        outcome: 'success',
      });
    });

    it('rotation dry run: the Secret masked, no vendor call, nothing changed', async () => {
      const keyBefore = secretValue();
      const createsBefore = keysCreated();
      const operatorBefore = operatorCalls();
      sandbox.kube.clearWrites();
      const { run: result } = await run('rotate-api-key', true);
      expect(result.status).toBe('dry-run');
      expect(result.diff[0]).toEqual({
        object: `Secret ${NS}/vastai-secrets`,
        path: 'data[api-key]',
        before: '********',
        after: '********',
        secret: true,
      });
      expect(result.diff[1].path).toBe(
        'spec.template.metadata.annotations[kubectl.kubernetes.io/restartedAt]',
      );
      expect(secretValue()).toBe(keyBefore);
      expect(realWrites()).toEqual([]);
      // The service keeps calling the vendor with its own key; the product made no call.
      expect(keysCreated()).toBe(createsBefore);
      expect(operatorCalls()).toBe(operatorBefore);
      expect(JSON.stringify(result)).not.toContain(keyBefore);
    });

    it('ten concurrent identical POSTs: one Kubernetes write, one run, the same answer', async () => {
      sandbox.kube.clearWrites();
      const key = `same-${databaseId}-${Date.now()}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, () => run('enable-fallback', false, key)),
      );
      await kit.service.idle();
      expect(new Set(results.map(r => r.run.runId)).size).toBe(1);
      expect(realWrites()).toHaveLength(1);
      expect(realWrites()[0].resource).toBe('deployments');
      // And ten concurrent POSTs with different keys: the database lock lets one through.
      await sandbox.setScenario('healthy');
      sandbox.kube.clearWrites();
      const different = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          run('queue-mode', false, `diff-${databaseId}-${Date.now()}-${i}`),
        ),
      );
      await kit.service.idle();
      const statuses = different.map(r => r.httpStatus).sort();
      expect(statuses.filter(s => s === 202)).toHaveLength(1);
      expect(statuses.filter(s => s === 409)).toHaveLength(9);
      expect(different.filter(r => r.run.code === 'busy')).toHaveLength(9);
      expect(realWrites()).toHaveLength(1);
    });

    // An in-memory SQLite database cannot be shared between two pools: PostgreSQL only.
    if (databaseId !== 'SQLITE_3')
      it('two backend replicas sharing the database: ten concurrent POSTs, one Kubernetes write', async () => {
        // A second connection pool to the same database, as a second backend process has.
        const other = require('knex')(knex.client.config) as Knex;
        try {
          const replicaB = await buildActions({
            config: sandboxConfig(sandbox.urls),
            knex: other,
          });
          sandbox.kube.clearWrites();
          const key = `replicas-${Date.now()}`;
          const integration = kit.service.integration(INTEGRATION)!;
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              (i % 2 ? replicaB : kit).service.run({
                credentials: user,
                entityRef: ENTITY_REF,
                integration,
                actionId: 'queue-mode',
                dryRun: false,
                idempotencyKey: key,
              }),
            ),
          );
          await Promise.all([kit.service.idle(), replicaB.service.idle()]);
          expect(new Set(results.map(r => r.run.runId)).size).toBe(1);
          expect(realWrites()).toHaveLength(1);
        } finally {
          await other.destroy();
        }
      });

    it('an Idempotency-Key replay returns the stored result and does nothing again', async () => {
      const key = `replay-${databaseId}-${Date.now()}`;
      const first = await run('rollout-restart', false, key);
      const done = await finished(first.run.runId);
      expect(['succeeded', 'unverified']).toContain(done.status);
      sandbox.kube.clearWrites();
      const replay = await run('rollout-restart', false, key);
      expect(replay.run).toEqual(done);
      expect(replay.httpStatus).toBe(200);
      expect(sandbox.kube.writes()).toEqual([]);
    });

    it('a Secret changed underneath: 409 reported as a conflict, never retried; the new key is deleted', async () => {
      const { config } = kit;
      const cluster = config.clusters.get('sandbox')!;
      const someoneElses = `someone-elses-key-${Date.now()}`;
      kit = await buildActions({ config: sandboxConfig(sandbox.urls), knex });
      // The same writer, but someone edits the Secret right after we read it.
      (kit.service as any).options.clients = {
        kubernetes: () => {
          const real = createKubernetesWriter(cluster, {
            http: require('../upstream').nodeHttpClient,
            timeoutMs: 3000,
            maxBytes: 1 << 20,
          });
          return {
            ...real,
            async readSecret(ns: string, name: string) {
              const snapshot = await real.readSecret(ns, name);
              sandbox.kube.setSecretData(ns, name, { 'api-key': someoneElses });
              return snapshot;
            },
          };
        },
      };
      const keysBefore = sandbox.world.vast.account.list().length;
      sandbox.kube.clearWrites();
      const { httpStatus, run: result } = await run(
        'rotate-api-key',
        false,
        `conflict-${databaseId}`,
      );
      expect(httpStatus).toBe(409);
      expect(result).toMatchObject({ status: 'failed', code: 'conflict' });
      expect(result.reason).toMatch(/409 Conflict/);
      expect(secretValue()).toBe(someoneElses);
      const secretWrites = sandbox.kube
        .writes()
        .filter(w => w.resource === 'secrets');
      // The dry run met the conflict first; the real write was never attempted nor retried.
      expect(secretWrites.map(w => [w.dryRun, w.status])).toEqual([
        [true, 409],
      ]);
      expect(
        sandbox.kube.writes().filter(w => w.resource === 'deployments'),
      ).toEqual([]);
      expect(sandbox.world.vast.account.list().length).toBe(keysBefore);
    });

    /** The sandbox's fault knob: its API server answers the next real write of the deployment. */
    async function deploymentFault(method: 'PUT' | 'DELETE', status?: number) {
      const res = await fetch(`${sandbox.urls.control}/kube/faults`, {
        method,
        headers: { 'content-type': 'application/json' },
        body:
          method === 'PUT'
            ? JSON.stringify({
                resource: 'deployments',
                name: INTEGRATION,
                status,
                count: 1,
              })
            : undefined,
      });
      expect(res.status).toBe(200);
    }

    it.each([
      {
        actionId: 'queue-mode' as const,
        status: 409,
        httpStatus: 409,
        code: 'conflict',
        words:
          /^Deployment vastai\/vastai-integration changed while the action ran \(409 Conflict from the API server\); nothing was overwritten\. Run the dry run again/,
      },
      {
        actionId: 'rollout-restart' as const,
        status: 409,
        httpStatus: 409,
        code: 'conflict',
        words:
          /changed while the action ran \(409 Conflict from the API server\); nothing was overwritten\. Run the dry run again/,
      },
      {
        actionId: 'queue-mode' as const,
        status: 500,
        httpStatus: 200,
        code: 'error',
        words: /Kubernetes API answered 500 InternalError/,
      },
    ])(
      'a deployment write answered $status ($actionId): failed with code $code and HTTP $httpStatus, never retried, nothing changed',
      async ({ actionId, status, httpStatus, code, words }) => {
        const before = template();
        sandbox.kube.clearWrites();
        await deploymentFault('PUT', status);
        const key = `deploy-${status}-${actionId}-${databaseId}-${Date.now()}`;
        try {
          const answer = await run(actionId, false, key);
          expect(answer.httpStatus).toBe(httpStatus);
          expect(answer.run).toMatchObject({
            status: 'failed',
            code,
            phase: 'done',
          });
          expect(answer.run.reason).toMatch(words);
          // The server-side dry run passed; the one real write got the answer and was not retried.
          expect(
            sandbox.kube
              .writes()
              .filter(w => w.resource === 'deployments')
              .map(w => [w.dryRun, w.status]),
          ).toEqual([
            [true, 200],
            [false, status],
          ]);
          expect(template()).toEqual(before);
          const [row] = await kit.store.listAudit(ENTITY_REF, 1);
          expect(row).toMatchObject({
            outcome: 'failed',
            idempotencyKey: key,
            reason: answer.run.reason,
          });
          expect(kit.auditor.events.at(-1)).toMatchObject({
            eventId: actionId,
            outcome: 'fail',
            outcomeMeta: { status: 'failed', code },
          });
          // A replay answers the same, and the deployment's lock was freed for the next run.
          expect((await run(actionId, false, key)).httpStatus).toBe(httpStatus);
          const target = {
            cluster: 'sandbox',
            namespace: NS,
            deployment: INTEGRATION,
          };
          const probe = `lock-probe-${key}`;
          expect(await kit.store.acquireLock(target, probe, 5000)).toEqual(
            expect.objectContaining({ acquired: true }),
          );
          await kit.store.releaseLock(probe);
        } finally {
          await deploymentFault('DELETE');
        }
      },
    );

    it('refuses to apply when actions are disabled, but still dry-runs; and keeps a cooldown', async () => {
      kit = await buildActions({ config: sandboxConfig(sandbox.urls), knex });
      (kit.service as any).options.settings.enabled = false;
      sandbox.kube.clearWrites();
      await expect(
        run('queue-mode', false, `off-${databaseId}`),
      ).rejects.toThrow(/disabled by configuration/);
      expect((await run('queue-mode', true)).run.status).toBe('dry-run');
      expect(realWrites()).toEqual([]);

      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, { cooldownSeconds: 600 }),
        knex,
      });
      const first = await run(
        'rollout-restart',
        false,
        `cool-1-${databaseId}-${Date.now()}`,
      );
      await finished(first.run.runId);
      const second = await run(
        'rollout-restart',
        false,
        `cool-2-${databaseId}-${Date.now()}`,
      );
      expect(second.httpStatus).toBe(409);
      expect(second.run).toMatchObject({
        status: 'rejected',
        code: 'cooldown',
      });
    });

    it('causal: auth-failure -> rotate -> the 401s stop, the old key is gone; the canary finds no key anywhere', async () => {
      await sandbox.setScenario('auth-failure');
      const oldKey = secretValue();
      await eventually(
        async () =>
          (
            await (
              await fetch(`${sandbox.urls.services[INTEGRATION]}/health`)
            ).json()
          ).services?.vastai?.status,
        {
          what: 'the service to be down',
          accept: s => s === 'down',
          intervalMs: 200,
          timeoutMs: 20_000,
        },
      );
      const first = await run('rotate-api-key', false, `rotate-${databaseId}`);
      expect(first.httpStatus).toBe(202);
      const done = await finished(first.run.runId);
      expect(done.status).toBe('succeeded');
      expect(done.verification).toMatchObject({
        rolloutComplete: true,
        recovered: true,
      });
      const newKey = secretValue();
      expect(newKey).not.toBe(oldKey);
      // The revoked original key is not listed any more; the new key is, and works.
      expect(sandbox.world.vast.account.authenticate(newKey)).toBeDefined();
      expect(sandbox.world.vast.account.authenticate(oldKey)).toBeUndefined();
      expect(done.verification!.evidence.join(' ')).toMatch(/old key/);
      expect(
        kit.auditor.events.map(e => [e.eventId, e.severityLevel, e.outcome]),
      ).toEqual([['rotate-api-key', 'high', 'success']]);
      const history = await kit.service.history(ENTITY_REF);
      responses.push(done);

      const forms = (k: string) => [
        k,
        Buffer.from(k).toString('base64'),
        Buffer.from(k).toString('base64').replace(/=+$/, ''),
        encodeURIComponent(k),
      ];
      const haystacks = {
        responses: JSON.stringify(responses),
        history: JSON.stringify(history),
        logs: kit.logger.lines.join('\n'),
        auditor: JSON.stringify(kit.auditor.events),
        database: await dumpActionTables(knex),
      };
      for (const [where, text] of Object.entries(haystacks)) {
        for (const form of [...forms(oldKey), ...forms(newKey)]) {
          expect({ where, leaked: text.includes(form) }).toEqual({
            where,
            leaked: false,
          });
        }
      }
    });

    it('causal: a rotation that does not verify puts the old key back and says so; every write is dry-run first, the restore included', async () => {
      // A pasted key the vendor accepts, but the service stays broken (its pods crash).
      await sandbox.setScenario('pods-crashing');
      const live = sandbox.world.vast.account.create('pasted', {
        read: true,
      }).key;
      const oldKey = secretValue();
      const http = recordingHttp();
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, { verifyTimeoutSeconds: 4 }),
        knex,
        clients: { http },
      });
      sandbox.kube.clearWrites();
      const first = await run(
        'rotate-api-key',
        false,
        `restore-${databaseId}`,
        live,
      );
      expect(first.httpStatus).toBe(202);
      expect(JSON.stringify(first.run)).not.toContain(live);
      const done = await finished(first.run.runId);
      expect(done).toMatchObject({
        status: 'failed',
        code: 'verification-failed',
      });
      expect(done.reason).toMatch(/old key was put back/);
      expect(secretValue()).toBe(oldKey);
      expect(JSON.stringify(done)).not.toContain(live);
      expect(kit.logger.lines.join('\n')).not.toContain(live);
      // Write, restart, restore, restart: each one validated by a server-side dry run first.
      const writes = sandbox.kube.writes();
      expect(writes.map(w => [w.resource, w.dryRun])).toEqual([
        ['secrets', true],
        ['secrets', false],
        ['deployments', true],
        ['deployments', false],
        ['secrets', true],
        ['secrets', false],
        ['deployments', true],
        ['deployments', false],
      ]);
      expect(writesWithoutDryRun(writes)).toEqual([]);
      // A dry run carries a placeholder: no key, new or old, goes to Kubernetes for a check.
      const secretDryRuns = http.requests.filter(
        r => r.url.includes('/secrets/') && r.url.includes('dryRun=All'),
      );
      expect(secretDryRuns).toHaveLength(2);
      for (const request of secretDryRuns) {
        const sent = JSON.parse(String(request.body)).data['api-key'];
        expect(Buffer.from(sent, 'base64').toString()).toBe(
          DRY_RUN_KEY_PLACEHOLDER,
        );
      }
    });

    it('second approval: nothing happens until a different user approves; then the old live key is deleted', async () => {
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, {
          requireSecondApprovalForKeyRotation: true,
        }),
        knex,
      });
      const oldKey = secretValue();
      const oldId = sandbox.world.vast.account.authenticate(oldKey)!.id;
      sandbox.kube.clearWrites();
      const operatorBefore = operatorCalls();
      const asked = await run(
        'rotate-api-key',
        false,
        `approval-${databaseId}`,
      );
      expect(asked).toMatchObject({
        httpStatus: 202,
        run: { status: 'awaiting-approval' },
      });
      expect(sandbox.kube.writes()).toEqual([]);
      expect(operatorCalls()).toBe(operatorBefore);
      const integration = kit.service.integration(INTEGRATION)!;
      const approve = (who: string) =>
        kit.service.approve({
          credentials: mockCredentials.user(who),
          entityRef: ENTITY_REF,
          integration,
          runId: asked.run.runId,
        });
      await expect(approve('user:default/alice')).rejects.toThrow(
        /different person/,
      );
      const approved = await approve('user:default/bob');
      expect(approved.httpStatus).toBe(202);
      await expect(approve('user:default/carol')).rejects.toThrow(
        /not awaiting approval/,
      );
      const done = await finished(asked.run.runId);
      expect(done).toMatchObject({
        status: 'succeeded',
        actor: 'user:default/alice',
        approvedBy: 'user:default/bob',
      });
      expect(secretValue()).not.toBe(oldKey);
      expect(sandbox.world.vast.account.authenticate(oldKey)).toBeUndefined();
      expect(done.verification!.evidence).toContain(
        `the old key (id ${oldId}) was deleted at Vast.ai`,
      );
    });

    it('causal: vendor-outage -> fallback -> degraded but up; disable-fallback restores the template exactly', async () => {
      await sandbox.setScenario('vendor-outage');
      await eventually(
        async () =>
          (
            await kit.signals!.collect(kit.service.integration(INTEGRATION)!)
          ).health.value?.status,
        {
          what: 'the outage in the health signal',
          accept: s => s !== undefined && s !== 'healthy',
          timeoutMs: 20_000,
          intervalMs: 300,
        },
      );
      const before = template();
      const on = await run('enable-fallback', false, `fb-on-${databaseId}`);
      const onDone = await finished(on.run.runId);
      expect(onDone.status).toBe('succeeded');
      expect(onDone.previous).toEqual({ VASTAI_FALLBACK: 'false' });
      const health = await (
        await fetch(`${sandbox.urls.services[INTEGRATION]}/health`)
      ).json();
      expect(health).toMatchObject({
        fallback: true,
        services: { vastai: { status: 'degraded' } },
      });

      const off = await run('disable-fallback', false, `fb-off-${databaseId}`);
      const offDone = await finished(off.run.runId);
      expect(['succeeded', 'unverified']).toContain(offDone.status);
      expect(template()).toEqual(before);
    });

    it('causal: rate-limited -> queue mode -> the 429s stop; direct-mode restores the template exactly', async () => {
      if (!sandbox.urls.prometheus) {
        throw new Error(
          'this test needs the sandbox Prometheus (/usr/bin/prometheus)',
        );
      }
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, { verifyTimeoutSeconds: 60 }),
        knex,
      });
      await sandbox.setScenario('rate-limited');
      const threshold =
        kit.service.integration(INTEGRATION)!.thresholds.rateLimitedPerMinute;
      // The storm first, as the product sees it, so that "recovered" means something.
      await eventually(
        async () =>
          (
            await kit.signals!.collect(kit.service.integration(INTEGRATION)!)
          ).metrics.value?.rateLimitedPerMinute,
        {
          what: 'the 429 storm in the metrics signal',
          accept: v => typeof v === 'number' && v > threshold,
          timeoutMs: 30_000,
          intervalMs: 500,
        },
      );
      const before = template();
      const queue = await run('queue-mode', false, `q-${databaseId}`);
      const queued = await finished(queue.run.runId);
      expect(queued.status).toBe('succeeded');
      expect(queued.verification?.signal).toBe('429 rate');
      // Direct mode brings the 429s back in this scenario (so it ends unverified): a short deadline.
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, { verifyTimeoutSeconds: 5 }),
        knex,
      });
      const direct = await run('direct-mode', false, `d-${databaseId}`);
      await finished(direct.run.runId);
      expect(template()).toEqual(before);
    });
  });
});
