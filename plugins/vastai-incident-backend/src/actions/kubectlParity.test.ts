/**
 * The patches the actions send are the ones the real kubectl sends for the same command,
 * both captured from the sandbox's write log.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { mockCredentials } from '@backstage/backend-test-utils';
import { Sandbox, startSandbox } from '@internal/vastai-sandbox';
import { makeKubectl } from '@internal/vastai-sandbox/testing';
import type { Knex } from 'knex';
import {
  buildActions,
  ENTITY_REF,
  INTEGRATION,
  sandboxConfig,
} from '../testing/actionsTestKit';

jest.setTimeout(120_000);

describe('patches equal what kubectl sends', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let sandbox: Sandbox;
  let kubectl: Awaited<ReturnType<typeof makeKubectl>>;
  let knex: Knex;

  beforeAll(async () => {
    sandbox = await startSandbox({
      prometheus: false,
      kube: { rolloutStepMs: 100 },
    });
    kubectl = await makeKubectl(sandbox.urls.kubeconfig);
    knex = await databases.init('SQLITE_3');
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  const deploymentWrites = () =>
    sandbox.kube
      .writes()
      .filter(w => w.resource === 'deployments' && w.method === 'PATCH');

  async function kubectlWrite(args: string[]) {
    await sandbox.setScenario('healthy');
    sandbox.kube.clearWrites();
    await kubectl.ok(['-n', 'vastai', ...args]);
    const writes = deploymentWrites();
    expect(writes).toHaveLength(1);
    return writes[0];
  }

  async function actionWrites(actionId: any) {
    await sandbox.setScenario('healthy');
    sandbox.kube.clearWrites();
    // withSignals false: verification is not what this test is about.
    const { service } = await buildActions({
      config: sandboxConfig(sandbox.urls, { verifyTimeoutSeconds: 1 }),
      knex,
      withSignals: false,
    });
    const integration = service.integration(INTEGRATION)!;
    const { run } = await service.run({
      credentials: mockCredentials.user(),
      entityRef: ENTITY_REF,
      integration,
      actionId,
      dryRun: false,
      idempotencyKey: `parity-${actionId}-${Date.now()}`,
    });
    expect(run.status).toBe('running');
    await service.idle();
    return deploymentWrites();
  }

  it.each([
    [
      'queue-mode',
      'set env RATE_LIMIT_MODE=queue',
      ['set', 'env', `deployment/${INTEGRATION}`, 'RATE_LIMIT_MODE=queue'],
    ],
    [
      'enable-fallback',
      'set env VASTAI_FALLBACK=true',
      ['set', 'env', `deployment/${INTEGRATION}`, 'VASTAI_FALLBACK=true'],
    ],
  ])(
    '%s sends the strategic merge patch of `kubectl %s`',
    async (actionId, _command, args) => {
      const reference = await kubectlWrite(args as string[]);
      const ours = await actionWrites(actionId);
      // One server-side dry run of the very patch, then the write.
      expect(ours.map(w => w.dryRun)).toEqual([true, false]);
      for (const write of ours) {
        expect(write.contentType).toBe(reference.contentType);
        expect(write.contentType).toBe(
          'application/strategic-merge-patch+json',
        );
        expect(write.path).toBe(reference.path);
        expect(write.body).toEqual(reference.body);
      }
    },
  );

  it('rollout-restart sends the restartedAt patch of `kubectl rollout restart`', async () => {
    const reference = await kubectlWrite([
      'rollout',
      'restart',
      `deployment/${INTEGRATION}`,
    ]);
    const ours = await actionWrites('rollout-restart');
    expect(ours.map(w => w.dryRun)).toEqual([true, false]);
    const at = (w: any) =>
      w.body.spec.template.metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ];
    for (const write of ours) {
      expect(write.contentType).toBe(reference.contentType);
      // Same shape; the timestamp differs by when each ran, in the same RFC 3339 form.
      expect(write.body).toEqual({
        spec: {
          template: {
            metadata: {
              annotations: { 'kubectl.kubernetes.io/restartedAt': at(write) },
            },
          },
        },
      });
      expect(at(write)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(at(reference)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Object.keys(reference.body as object)).toEqual(['spec']);
  });

  it('refuses to restart a paused deployment, as kubectl does, without writing', async () => {
    await sandbox.setScenario('healthy');
    await kubectl.ok([
      '-n',
      'vastai',
      'rollout',
      'pause',
      `deployment/${INTEGRATION}`,
    ]);
    const refused = await kubectl.run([
      '-n',
      'vastai',
      'rollout',
      'restart',
      `deployment/${INTEGRATION}`,
    ]);
    expect(refused.stderr).toContain("can't restart paused deployment");
    sandbox.kube.clearWrites();
    const { service } = await buildActions({
      config: sandboxConfig(sandbox.urls),
      knex,
      withSignals: false,
    });
    const { httpStatus, run } = await service.run({
      credentials: mockCredentials.user(),
      entityRef: ENTITY_REF,
      integration: service.integration(INTEGRATION)!,
      actionId: 'rollout-restart',
      dryRun: false,
      idempotencyKey: `paused-${Date.now()}`,
    });
    expect(httpStatus).toBe(200);
    expect(run).toMatchObject({ status: 'failed', code: 'paused' });
    expect(run.reason).toMatch(/paused/);
    expect(sandbox.kube.writes()).toEqual([]);
  });
});
