/**
 * How the actions keep their writes safe, against the sandbox's Kubernetes and Vast.ai APIs on
 * SQLite and PostgreSQL: one run per deployment (whichever entity or button asked), rotation
 * only into a container that reads the Secret, a placeholder in every Secret dry run,
 * Idempotency-Keys that belong to one user and one request, diffs limited to what the action
 * changes.
 */
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { ActionId } from '@vastai-incident/backstage-plugin-common';
import { Sandbox, startSandbox } from '@internal/vastai-sandbox';
import type { Knex } from 'knex';
import { nodeHttpClient } from '../upstream';
import {
  buildActions,
  dumpActionTables,
  ENTITY_REF,
  INTEGRATION,
  leakForms,
  recordingHttp,
  sandboxConfig,
  sandboxKube,
  sandboxReadings,
  setIntegrationEnv,
  TWIN_ENTITY_REF,
  TWIN_INTEGRATION,
  withTwinIntegration,
} from '../testing/actionsTestKit';
import { DRY_RUN_KEY_PLACEHOLDER } from './keyRotation';
import { createKubernetesWriter } from './kubernetesWriter';
import type { RunActionResult } from './service';

jest.setTimeout(180_000);

const alice = mockCredentials.user('user:default/alice');
const bob = mockCredentials.user('user:default/bob');
/** Short verification: these tests are about what is written, not about recovery. */
const FAST = { verifyTimeoutSeconds: 5 };

describe('safe writes against the sandbox', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
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

  const { template, realWrites, secretValue, keysCreated } = sandboxReadings(
    () => sandbox,
  );

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let knex: Knex;
    let kit: Awaited<ReturnType<typeof buildActions>>;
    let counter = 0;
    const newKey = (label: string) =>
      `${label}-${databaseId}-${Date.now()}-${counter++}`;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
    });
    beforeEach(async () => {
      await sandbox.setScenario('healthy');
      kit = await buildActions({
        config: withTwinIntegration(sandboxConfig(sandbox.urls, FAST)),
        knex,
      });
      // The sandbox starts every test from its base world: so do the revert records.
      await knex('vastai_action_previous').delete();
    });
    afterEach(async () => {
      await kit.service.idle();
    });

    function run(options: {
      actionId: ActionId;
      dryRun?: boolean;
      key?: string;
      newApiKey?: string;
      as?: typeof alice;
      twin?: boolean;
    }): Promise<RunActionResult> {
      const integration = kit.service.integration(
        options.twin ? TWIN_INTEGRATION : INTEGRATION,
      )!;
      return kit.service.run({
        credentials: options.as ?? alice,
        entityRef: options.twin ? TWIN_ENTITY_REF : ENTITY_REF,
        integration,
        actionId: options.actionId,
        dryRun: options.dryRun ?? false,
        idempotencyKey: options.key,
        newApiKey: options.newApiKey,
      });
    }
    async function finished(runId: string) {
      await kit.service.idle();
      return (
        (await kit.service.getRun(ENTITY_REF, runId)) ??
        (await kit.service.getRun(TWIN_ENTITY_REF, runId))!
      );
    }
    /** Of runs fired together on one deployment, one runs; each other one names it. */
    function expectOneRunsTheRestRefused(results: RunActionResult[]) {
      const winners = results.filter(r => r.httpStatus === 202);
      expect(winners).toHaveLength(1);
      const winner = winners[0].run;
      for (const refused of results.filter(r => r !== winners[0])) {
        expect(refused.httpStatus).toBe(409);
        expect(refused.run).toMatchObject({ status: 'rejected', code: 'busy' });
        expect(refused.run.reason).toMatch(
          /already running on Deployment vastai\/vastai-integration/,
        );
        expect(refused.run.reason).toContain(
          `run ${winner.runId} (${winner.actionId})`,
        );
      }
    }

    it('lock the target: two entities bound to one deployment, fired together: one runs, the other is refused naming the run', async () => {
      sandbox.kube.clearWrites();
      const results = await Promise.all([
        run({ actionId: 'queue-mode', key: newKey('a') }),
        run({ actionId: 'enable-fallback', key: newKey('b'), twin: true }),
      ]);
      expectOneRunsTheRestRefused(results);
      expect(realWrites()).toHaveLength(1);
    });

    it('lock the target: opposing actions on one deployment fired together: one runs, the others are refused naming the run', async () => {
      // Values none of the four leaves alone, so each of them would write.
      await setIntegrationEnv(sandboxKube(sandbox.urls), [
        { name: 'RATE_LIMIT_MODE', value: 'adaptive' },
        { name: 'VASTAI_FALLBACK', value: 'auto' },
      ]);
      sandbox.kube.clearWrites();
      const actions: ActionId[] = [
        'queue-mode',
        'direct-mode',
        'enable-fallback',
        'disable-fallback',
      ];
      const results = await Promise.all(
        actions.map(actionId => run({ actionId, key: newKey(actionId) })),
      );
      expectOneRunsTheRestRefused(results);
      expect(realWrites()).toHaveLength(1);
    });

    it('the cooldown and the revert record belong to the deployment: a revert through another entity restores exactly', async () => {
      // No VASTAI_FALLBACK at all: a revert that sets the runbook's "false" would differ.
      await setIntegrationEnv(sandboxKube(sandbox.urls), [
        { name: 'VASTAI_FALLBACK', remove: true },
      ]);
      const before = template();
      const on = await run({ actionId: 'enable-fallback', key: newKey('on') });
      expect((await finished(on.run.runId)).previous).toEqual({
        VASTAI_FALLBACK: null,
      });
      const off = await run({
        actionId: 'disable-fallback',
        key: newKey('off'),
        twin: true,
      });
      await finished(off.run.runId);
      expect(template()).toEqual(before);

      kit = await buildActions({
        config: withTwinIntegration(
          sandboxConfig(sandbox.urls, { ...FAST, cooldownSeconds: 600 }),
        ),
        knex,
      });
      const later = await run({
        actionId: 'rollout-restart',
        key: newKey('later'),
        twin: true,
      });
      expect(later.httpStatus).toBe(409);
      expect(later.run).toMatchObject({ status: 'rejected', code: 'cooldown' });
      expect(later.run.reason).toMatch(/Deployment vastai\/vastai-integration/);
    });

    it('the cooldown never holds back the revert of the action that just ended', async () => {
      // Runs of earlier tests on this deployment would start a cooldown of their own.
      await knex('vastai_action_runs').delete();
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, { ...FAST, cooldownSeconds: 600 }),
        knex,
      });
      const on = await run({ actionId: 'enable-fallback', key: newKey('on') });
      await finished(on.run.runId);
      const other = await run({ actionId: 'queue-mode', key: newKey('q') });
      expect(other.run).toMatchObject({ status: 'rejected', code: 'cooldown' });
      const undo = await run({
        actionId: 'disable-fallback',
        key: newKey('undo'),
      });
      expect(undo.run.status).not.toBe('rejected');
      await finished(undo.run.runId);
    });

    it('rotation preflight: a container that does not read its key through secretKeyRef is refused; nothing written, no key created', async () => {
      const kube = sandboxKube(sandbox.urls);
      const key = secretValue();
      const variants = [
        // The key as a literal in the manifest: the Secret is not referenced at all.
        [{ name: 'VASTAI_API_KEY', value: 'literal-key-in-the-manifest' }],
        // The Secret referenced, and a literal copy of its key beside it.
        [
          {
            name: 'VASTAI_API_KEY',
            entry: {
              name: 'VASTAI_API_KEY',
              valueFrom: {
                secretKeyRef: { name: 'vastai-secrets', key: 'api-key' },
              },
            },
          },
          { name: 'VASTAI_KEY_COPY', value: key },
        ],
      ];
      for (const changes of variants) {
        await setIntegrationEnv(kube, changes);
        sandbox.kube.clearWrites();
        const created = keysCreated();
        const vendorKeys = sandbox.world.vast.account.list().length;

        const preview = await run({ actionId: 'rotate-api-key', dryRun: true });
        expect(preview.run).toMatchObject({
          status: 'failed',
          code: 'key-not-from-secret',
        });
        const applied = await run({
          actionId: 'rotate-api-key',
          key: newKey('preflight'),
        });
        expect(applied.httpStatus).toBe(409);
        expect(applied.run).toMatchObject({
          status: 'rejected',
          code: 'key-not-from-secret',
        });
        for (const { run: result } of [preview, applied]) {
          expect(result.reason).toMatch(/secretKeyRef|literal env value/);
          expect(result.reason).toMatch(/nothing was rotated/);
          expect(JSON.stringify(result)).not.toContain(key);
        }
        expect(sandbox.kube.writes()).toEqual([]);
        expect(keysCreated()).toBe(created);
        expect(sandbox.world.vast.account.list().length).toBe(vendorKeys);
        expect(secretValue()).toBe(key);
      }
    });

    it('rotation dry run with a pasted key: the Kubernetes API gets a placeholder, never the key', async () => {
      const pasted = `pasted-preview-key-${databaseId}-0123456789abcdef`;
      const http = recordingHttp();
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, FAST),
        knex,
        clients: { http },
      });
      sandbox.kube.clearWrites();
      const { run: preview } = await run({
        actionId: 'rotate-api-key',
        dryRun: true,
        newApiKey: pasted,
      });
      expect(preview.status).toBe('dry-run');
      const secretPatches = http.requests.filter(
        r => r.method === 'PATCH' && r.url.includes('/secrets/'),
      );
      expect(secretPatches).toHaveLength(1);
      expect(secretPatches[0].url).toContain('dryRun=All');
      const sent = JSON.parse(String(secretPatches[0].body));
      expect(Buffer.from(sent.data['api-key'], 'base64').toString()).toBe(
        DRY_RUN_KEY_PLACEHOLDER,
      );
      const everything = JSON.stringify(
        http.requests.map(r => [r.url, r.headers, String(r.body ?? '')]),
      );
      for (const form of leakForms(pasted))
        expect(everything).not.toContain(form);
      expect(sandbox.kube.writes().map(w => [w.resource, w.dryRun])).toEqual([
        ['secrets', true],
        ['deployments', true],
      ]);
    });

    it('Idempotency-Key scoped per user and request: another user or another request gets 422, never the stored run; the sender replays it', async () => {
      const key = newKey('scoped');
      const first = await run({ actionId: 'rollout-restart', key });
      const done = await finished(first.run.runId);
      sandbox.kube.clearWrites();
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => {
            throw new Error('not refused');
          },
          (error: any) => error,
        );

      const byBob = await refusal(
        run({ actionId: 'rollout-restart', key, as: bob }),
      );
      expect(byBob).toMatchObject({ statusCode: 422 });
      expect(byBob.message).toMatch(/already used by another user/);
      for (const other of [
        run({ actionId: 'rollout-restart', key, twin: true }),
        run({ actionId: 'queue-mode', key }),
      ]) {
        const error = await refusal(other);
        expect(error).toMatchObject({ statusCode: 422 });
        expect(error.message).toMatch(/already used for a different request/);
      }
      const replay = await run({ actionId: 'rollout-restart', key });
      expect(replay.run).toEqual(done);
      expect(sandbox.kube.writes()).toEqual([]);
      const refusals = (await kit.store.listAudit(ENTITY_REF, 50)).filter(
        e => e.outcome === 'rejected' && e.idempotencyKey === key,
      );
      expect(refusals.map(e => e.actor)).toEqual(
        expect.arrayContaining(['user:default/bob', 'user:default/alice']),
      );
      expect(JSON.stringify(refusals)).not.toContain(done.runId);

      // The body counts: another pasted key under the same Idempotency-Key is another request.
      const pastedA = `pasted-a-${databaseId}-0123456789abcdef`;
      const pastedB = `pasted-b-${databaseId}-0123456789abcdef`;
      const rotationKey = newKey('rotation');
      const rotation = await run({
        actionId: 'rotate-api-key',
        key: rotationKey,
        newApiKey: pastedA,
      });
      expect(rotation.run).toMatchObject({
        status: 'failed',
        code: 'invalid-key',
      });
      const otherBody = await refusal(
        run({
          actionId: 'rotate-api-key',
          key: rotationKey,
          newApiKey: pastedB,
        }),
      );
      expect(otherBody).toMatchObject({ statusCode: 422 });
      const sameBody = await run({
        actionId: 'rotate-api-key',
        key: rotationKey,
        newApiKey: pastedA,
      });
      expect(sameBody.run.runId).toBe(rotation.run.runId);
      // What decides a replay is a salted digest: never a pasted key in any form.
      const tables = await dumpActionTables(knex);
      for (const form of [...leakForms(pastedA), ...leakForms(pastedB)])
        expect(tables).not.toContain(form);
    });

    it('the action diff shows only what the action changes: another env var changed meanwhile never appears in a preview, a run or the history', async () => {
      // Someone else sets a secret-looking env var between each of our reads and our writes.
      const someoneElse = sandboxKube(sandbox.urls);
      let edits = 0;
      kit = await buildActions({
        config: sandboxConfig(sandbox.urls, FAST),
        knex,
        clients: {
          kubernetes: cluster => {
            const ours = createKubernetesWriter(cluster, {
              http: nodeHttpClient,
              timeoutMs: 3000,
              maxBytes: 1 << 20,
            });
            return {
              ...ours,
              async patchDeployment(ns, name, patch, options) {
                await setIntegrationEnv(someoneElse, [
                  { name: 'DB_PASSWORD', value: `secret-canary-${edits++}` },
                ]);
                return ours.patchDeployment(ns, name, patch, options);
              },
            };
          },
        },
      });
      const preview = await run({ actionId: 'enable-fallback', dryRun: true });
      // One after the other: the deployment takes one run at a time.
      const runs = [preview.run];
      for (const actionId of ['enable-fallback', 'rollout-restart'] as const) {
        const applied = await run({ actionId, key: newKey(actionId) });
        expect(applied.httpStatus).toBe(202);
        runs.push(await finished(applied.run.runId));
      }
      expect(edits).toBeGreaterThanOrEqual(5);
      expect(runs.map(r => r.diff.map(l => l.path))).toEqual([
        ['spec.template.spec.containers[app].env[VASTAI_FALLBACK]'],
        ['spec.template.spec.containers[app].env[VASTAI_FALLBACK]'],
        [
          'spec.template.metadata.annotations[kubectl.kubernetes.io/restartedAt]',
        ],
      ]);
      const everywhere = JSON.stringify({
        runs,
        history: await kit.service.history(ENTITY_REF, 500),
        tables: await dumpActionTables(knex),
      });
      expect(everywhere).not.toMatch(/DB_PASSWORD|secret-canary/);
    });
  });
});
