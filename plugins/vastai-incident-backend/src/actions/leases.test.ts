import { TestDatabases } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import {
  buildActions,
  databaseOf,
  ENTITY_REF,
  eventually,
  INTEGRATION,
  sandboxConfig,
} from '../testing/actionsTestKit';
import type { KubernetesWriter, SecretSnapshot } from './kubernetesWriter';
import { ActionStore } from './store';
import type { ActionRun } from './types';
import type { VendorKeyClient } from './vendorKeys';

jest.setTimeout(90_000);

const TARGET = {
  cluster: 'sandbox',
  namespace: 'vastai',
  deployment: INTEGRATION,
};
const OLD_KEY = 'old-key-value-0123456789';
const NEW_KEY = 'new-key-value-9876543210';
const alice = {
  $$type: '@backstage/BackstageCredentials' as const,
  principal: { type: 'user', userEntityRef: 'user:default/alice' },
};

function run(
  runId: string,
  status: ActionRun['status'] = 'running',
): ActionRun {
  return {
    runId,
    entityRef: ENTITY_REF,
    integration: INTEGRATION,
    actionId: 'rotate-api-key',
    dryRun: false,
    actor: 'user:default/alice',
    status,
    phase: 'authorized',
    diff: [],
    idempotencyKey: `key-${runId}`,
    startedAt: new Date().toISOString(),
  };
}

const keyOf = (runId: string) => ({
  idempotencyKey: `key-${runId}`,
  requestHash: 'h'.repeat(64),
  target: TARGET,
});

/** A promise that never settles until `fail()`: a replica stuck at that call, then dead. */
function stuck() {
  let fail!: (error: Error) => void;
  const promise = new Promise<never>((_, reject) => {
    fail = reject;
  });
  return { promise, fail: () => fail(new Error('the replica died')) };
}

/**
 * A cluster and a vendor in memory: the deployment reads the key from the Secret, the vendor
 * knows the old key (id 7) and creates key 42. `holdAt` makes the named write hang.
 */
function fakeWorld(holdAt: 'secret' | 'restart') {
  let secret = OLD_KEY;
  let resourceVersion = 1;
  const hold = stuck();
  let held = false;
  const deleted: number[] = [];
  const deployment = {
    metadata: { name: INTEGRATION, namespace: 'vastai', generation: 1 },
    spec: {
      replicas: 1,
      template: {
        metadata: { annotations: {} },
        spec: {
          containers: [
            {
              name: 'app',
              env: [
                {
                  name: 'VASTAI_API_KEY',
                  valueFrom: {
                    secretKeyRef: { name: 'vastai-secrets', key: 'api-key' },
                  },
                },
              ],
            },
          ],
        },
      },
    },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    },
  };
  const kube: Partial<KubernetesWriter> = {
    async readDeployment() {
      return JSON.parse(JSON.stringify(deployment));
    },
    async patchDeployment(_ns, _name, _patch, options) {
      if (!options?.dryRun && holdAt === 'restart' && !held) {
        held = true;
        return hold.promise;
      }
      return JSON.parse(JSON.stringify(deployment));
    },
    async readSecret(): Promise<SecretSnapshot> {
      return {
        name: 'vastai-secrets',
        namespace: 'vastai',
        resourceVersion: String(resourceVersion),
        data: { 'api-key': secret },
      };
    },
    async writeSecretKey(_ns, _name, _key, value, options) {
      if (options.dryRun) return { resourceVersion: String(resourceVersion) };
      if (holdAt === 'secret') return hold.promise;
      secret = value;
      resourceVersion += 1;
      return { resourceVersion: String(resourceVersion) };
    },
  };
  const vendor: VendorKeyClient = {
    async createKey() {
      return { id: 42, key: NEW_KEY };
    },
    async idOfKey(key) {
      if (key === OLD_KEY) return 7;
      if (key === NEW_KEY && !deleted.includes(42)) return 42;
      return undefined;
    },
    async listKeys() {
      return [{ id: 7 }, { id: 42 }].filter(k => !deleted.includes(k.id));
    },
    async deleteKey(id) {
      deleted.push(id);
      return true;
    },
  };
  return {
    kube: kube as KubernetesWriter,
    vendor,
    deleted,
    hold,
    secret: () => secret,
  };
}

const CONFIG = sandboxConfig(
  {
    vastApi: 'http://127.0.0.1:9',
    kubernetes: 'http://127.0.0.1:9',
    services: { [INTEGRATION]: 'http://127.0.0.1:9' },
  },
  { runLeaseSeconds: 1, sweepIntervalSeconds: 0.2, approvalTimeoutMinutes: 1 },
);

describe('run leases: a run outlives the replica that runs it', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function migratedStore(
    id: any,
  ): Promise<{ knex: Knex; store: ActionStore }> {
    const knex = await databases.init(id);
    const store = await ActionStore.create({ database: databaseOf(knex) });
    return { knex, store };
  }

  it.each(databases.eachSupportedId())(
    'renews a lease only for its owner, and interrupts an expired run once, freeing its lock, on %p',
    async id => {
      const { store } = await migratedStore(id);
      const now = Date.now();
      expect(
        await store.insertRun(run('r1'), keyOf('r1'), {
          owner: 'replica-a',
          expiresAt: now + 60_000,
        }),
      ).toBe(true);
      expect(await store.acquireLock(TARGET, 'r1', 60_000)).toEqual({
        acquired: true,
      });
      expect(
        await store.renewLease('r1', {
          owner: 'replica-b',
          expiresAt: now + 1,
        }),
      ).toBe(false);
      expect(
        await store.renewLease('r1', {
          owner: 'replica-a',
          expiresAt: now - 5,
        }),
      ).toBe(true);
      expect(await store.leaseOf('r1')).toEqual({
        owner: 'replica-a',
        expiresAt: now - 5,
      });

      const expired = await store.expiredRuns(now);
      expect(expired.map(e => e.run.runId)).toEqual(['r1']);
      const ended = { ...run('r1'), status: 'interrupted' as const };
      // Two replicas sweep at once: one ends it.
      const results = await Promise.all([
        store.interruptRun(ended, now),
        store.interruptRun(ended, now),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.lockHolder(TARGET)).toBeUndefined();
      expect((await store.getRun('r1'))?.status).toBe('interrupted');
      // The old replica, come back, can neither renew nor overwrite the ending.
      expect(
        await store.renewLease('r1', {
          owner: 'replica-a',
          expiresAt: now + 9,
        }),
      ).toBe(false);
      expect(await store.saveRun({ ...run('r1'), status: 'succeeded' })).toBe(
        false,
      );
      expect((await store.getRun('r1'))?.status).toBe('interrupted');
      expect(await store.expiredRuns(Date.now())).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'expires an approval nobody gave in time, and refuses to approve it, on %p',
    async id => {
      const { knex } = await migratedStore(id);
      const world = fakeWorld('secret');
      const kit = await buildActions({
        config: {
          ...CONFIG,
          vastaiIncident: {
            ...(CONFIG.vastaiIncident as any),
            actions: {
              ...(CONFIG.vastaiIncident as any).actions,
              requireSecondApprovalForKeyRotation: true,
            },
          },
        },
        knex,
        withSignals: false,
        clients: { kubernetes: () => world.kube, vendorKeys: world.vendor },
      });
      const integration = kit.service.integration(INTEGRATION)!;
      const asked = await kit.service.run({
        credentials: alice,
        entityRef: ENTITY_REF,
        integration,
        actionId: 'rotate-api-key',
        dryRun: false,
        idempotencyKey: 'approve-me',
      });
      expect(asked.run.status).toBe('awaiting-approval');
      // Two minutes ago, as far as the database knows.
      await knex('vastai_action_runs')
        .where({ run_id: asked.run.runId })
        .update({ created_at: Date.now() - 120_000 });
      const stored = await kit.store.getRun(asked.run.runId);
      await knex('vastai_action_runs')
        .where({ run_id: asked.run.runId })
        .update({
          result: JSON.stringify({
            ...stored,
            startedAt: new Date(Date.now() - 120_000).toISOString(),
          }),
        });
      expect(await kit.service.sweep()).toBe(1);
      const ended = await kit.service.getRun(ENTITY_REF, asked.run.runId);
      expect(ended).toMatchObject({
        status: 'rejected',
        code: 'approval-expired',
      });
      await expect(
        kit.service.approve({
          credentials: {
            ...alice,
            principal: { type: 'user', userEntityRef: 'user:default/bob' },
          },
          entityRef: ENTITY_REF,
          integration,
          runId: asked.run.runId,
        }),
      ).rejects.toThrow(/rejected, not awaiting approval/);
      const audit = await kit.store.listAudit(ENTITY_REF);
      expect(audit.map(a => a.outcome)).toEqual([
        'rejected',
        'awaiting-approval',
      ]);
      expect(audit[0].reason).toMatch(/No second person approved/);
      expect(world.deleted).toEqual([]);
    },
  );

  /**
   * Two replicas (two services on one database) acting on one fake cluster and vendor. Replica
   * `a` starts a key rotation and dies at `stage` (its write there hangs): once the step before
   * it is on the stored run, `a` renews no lease any more. `b` is the replica that lives on.
   */
  async function rotationDeadAt(
    id: Parameters<typeof migratedStore>[0],
    stage: Parameters<typeof fakeWorld>[0],
    idempotencyKey: string,
  ) {
    const lastStep = stage === 'secret' ? 'new-key-created' : 'secret-written';
    const { knex } = await migratedStore(id);
    const world = fakeWorld(stage);
    const clients = {
      kubernetes: () => world.kube,
      vendorKeys: world.vendor,
    };
    const replica = () =>
      buildActions({ config: CONFIG, knex, withSignals: false, clients });
    const a = await replica();
    const b = await replica();
    const integration = a.service.integration(INTEGRATION)!;
    const pending = a.service.run({
      credentials: alice,
      entityRef: ENTITY_REF,
      integration,
      actionId: 'rotate-api-key',
      dryRun: false,
      idempotencyKey,
    });
    const stored = await eventually(
      () => a.store.findRunByKey(idempotencyKey),
      {
        what: `the step ${lastStep} recorded on the run`,
        accept: s => s?.run.steps?.some(st => st.step === lastStep) === true,
        timeoutMs: 20_000,
        intervalMs: 50,
      },
    );
    // The replica dies: it renews nothing any more.
    a.store.renewLease = async () => {
      throw new Error('dead');
    };
    return {
      knex,
      world,
      a,
      b,
      integration,
      runId: stored!.run.runId,
      /** The dead replica's stuck call ends (it fails), and every replica goes idle. */
      async stuckCallEnds() {
        world.hold.fail();
        await pending;
        await a.service.idle();
        await b.service.idle();
      },
    };
  }

  it.each(databases.eachSupportedId())(
    'a replica dead after creating a key: another one interrupts the run, deletes the unused key, frees the deployment, on %p',
    async id => {
      const { knex, world, b, runId, stuckCallEnds } = await rotationDeadAt(
        id,
        'secret',
        'crash-1',
      );
      const hook: string[] = [];
      (b.service as any).ctx.onAudit = async (_trx: unknown, row: any) => {
        hook.push(`${row.outcome}:${row.runId}`);
      };
      const ended = await eventually(
        async () => {
          await b.service.sweep();
          return b.store.getRun(runId);
        },
        {
          what: 'the run to be interrupted by the other replica',
          accept: r => r?.status === 'interrupted',
          timeoutMs: 20_000,
          intervalMs: 200,
        },
      );
      expect(ended).toMatchObject({
        status: 'interrupted',
        code: 'lease-expired',
        newKeyId: 42,
      });
      expect(ended!.cleanup?.join(' ')).toMatch(
        /new key \(id 42\), never put in the Secret, was deleted/,
      );
      expect(world.deleted).toEqual([42]);
      expect(world.secret()).toBe(OLD_KEY);
      expect(await b.store.lockHolder(TARGET)).toBeUndefined();
      const audit = await b.store.listAudit(ENTITY_REF);
      expect(audit[0]).toMatchObject({ outcome: 'interrupted', runId });
      expect(audit[0].steps?.map(s => s.step)).toEqual(['new-key-created']);
      expect(audit[0].cleanup?.length).toBe(1);
      expect(hook).toEqual([`interrupted:${runId}`]);
      // The auditor hears of it from the replica that ended it, naming who asked for the run.
      expect(b.auditor.events).toEqual([
        {
          eventId: 'rotate-api-key',
          severityLevel: 'high',
          meta: {
            actor: 'user:default/alice',
            entityRef: ENTITY_REF,
            actionId: 'rotate-api-key',
            dryRun: false,
            runId,
          },
          outcome: 'fail',
          outcomeMeta: { status: 'interrupted', code: 'lease-expired' },
          error: ended!.reason,
        },
      ]);
      const dump = JSON.stringify(await knex('vastai_action_audit').select());
      expect(dump).not.toContain(NEW_KEY);
      expect(dump).not.toContain(OLD_KEY);

      // The dead replica's stuck call ends; its late ending does not overwrite the record.
      await stuckCallEnds();
      expect((await b.store.getRun(runId))?.status).toBe('interrupted');
    },
  );

  it.each(databases.eachSupportedId())(
    'a replica dead after the Secret write: the new key stays listed for clean-up (never deleted), the old one is kept, a new action runs, on %p',
    async id => {
      const { world, b, integration, runId, stuckCallEnds } =
        await rotationDeadAt(id, 'restart', 'crash-2');
      // No sweep needed: the next action on the deployment ends the dead run first.
      await eventually(() => b.store.leaseOf(runId), {
        what: 'the lease to run out',
        accept: l => !!l && l.expiresAt < Date.now(),
        timeoutMs: 20_000,
        intervalMs: 100,
      });
      const next = await b.service.run({
        credentials: alice,
        entityRef: ENTITY_REF,
        integration,
        actionId: 'queue-mode',
        dryRun: false,
        idempotencyKey: 'after-crash-2',
      });
      expect(next.httpStatus).not.toBe(409);
      const ended = await b.store.getRun(runId);
      expect(ended?.status).toBe('interrupted');
      expect(ended?.cleanup?.join(' ')).toMatch(
        /new key \(id 42\) may be in use/,
      );
      expect(world.deleted).toEqual([]);
      expect(world.secret()).toBe(NEW_KEY);
      const audit = await b.store.listAudit(ENTITY_REF, 10);
      const row = audit.find(r => r.outcome === 'interrupted')!;
      expect(row.steps?.map(s => s.step)).toEqual([
        'new-key-created',
        'secret-written',
      ]);
      await stuckCallEnds();
    },
  );
});
