import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ActionStore } from './store';
import { databaseOf } from '../testing/actionsTestKit';
import { flakyKnex, TransactionFault } from '../testing/flakyDatabase';
import type { ActionRun } from './types';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@vastai-incident/backstage-plugin-backend',
  'migrations',
);
const TABLES = [
  'vastai_action_audit',
  'vastai_action_runs',
  'vastai_action_locks',
  'vastai_action_previous',
  'vastai_action_keys',
];

function run(runId: string, key = 'k'): ActionRun {
  return {
    runId,
    entityRef: 'component:default/x',
    integration: 'x',
    actionId: 'queue-mode',
    dryRun: false,
    actor: 'user:default/alice',
    status: 'running',
    phase: 'authorized',
    diff: [],
    idempotencyKey: key,
    startedAt: new Date().toISOString(),
  };
}

describe('ActionStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  // In CI a skipped PostgreSQL is a failure, not a silent pass.
  it('runs against PostgreSQL in CI', () => {
    if (!process.env.CI) return;
    expect(databases.eachSupportedId().map(([id]) => id)).toContain(
      'POSTGRES_15',
    );
  });

  it.each(databases.eachSupportedId())(
    'migrates up and down on %p',
    async id => {
      const knex = await databases.init(id);
      await knex.migrate.latest({ directory: migrationsDir });
      for (const table of TABLES)
        expect(await knex.schema.hasTable(table)).toBe(true);
      await knex.migrate.rollback({ directory: migrationsDir }, true);
      for (const table of TABLES)
        expect(await knex.schema.hasTable(table)).toBe(false);
    },
  );

  it.each(databases.eachSupportedId())(
    'scopes runs by deployment without losing old runs; a key reused before stays apart, on %p',
    async id => {
      const knex = await databases.init(id);
      // Up to the schema before runs knew their deployment.
      const before = '20261128231000';
      const version = () =>
        knex.migrate.currentVersion({ directory: migrationsDir });
      for (let i = 0; i < 10 && (await version()) !== before; i++)
        await knex.migrate.up({ directory: migrationsDir });
      expect(await version()).toBe(before);
      const old = (runId: string, entityRef: string, createdAt: number) => ({
        run_id: runId,
        entity_ref: entityRef,
        action_id: 'queue-mode',
        idempotency_key: 'same',
        actor: 'user:default/alice',
        status: 'succeeded',
        result: JSON.stringify(run(runId, 'same')),
        created_at: createdAt,
        updated_at: createdAt,
        finished_at: createdAt,
      });
      await knex('vastai_action_runs').insert([
        old('a', 'component:default/x', 1),
        old('b', 'component:default/y', 2),
      ]);
      await knex.migrate.latest({ directory: migrationsDir });
      const rows = await knex('vastai_action_runs')
        .orderBy('run_id')
        .select('run_id', 'idempotency_key', 'request_hash');
      expect(rows).toEqual([
        { run_id: 'a', idempotency_key: 'same', request_hash: null },
        { run_id: 'b', idempotency_key: 'same~b', request_hash: null },
      ]);
      await knex.migrate.rollback({ directory: migrationsDir }, true);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps runs, deployment locks, previous values and key ids on %p',
    async id => {
      const knex = await databases.init(id);
      const store = await ActionStore.create({ database: databaseOf(knex) });
      const target = { cluster: 'c', namespace: 'ns', deployment: 'svc' };
      const other = { ...target, deployment: 'other' };
      const key = (idempotencyKey: string) => ({
        idempotencyKey,
        requestHash: 'h'.repeat(64),
        target,
      });

      // Idempotency: a key names one run, whatever entity or action reuses it.
      expect(await store.insertRun(run('r1'), key('k'))).toBe(true);
      expect(await store.insertRun(run('r2'), key('k'))).toBe(false);
      expect(
        await store.insertRun(
          { ...run('r2'), entityRef: 'component:default/y' },
          key('k'),
        ),
      ).toBe(false);
      expect(await store.findRunByKey('k')).toMatchObject({
        run: { runId: 'r1' },
        actor: 'user:default/alice',
        requestHash: 'h'.repeat(64),
      });

      // Lock per deployment: insert-or-fail, naming the holder; released or expired: free.
      expect(await store.acquireLock(target, 'r1', 60_000)).toEqual({
        acquired: true,
      });
      expect(await store.acquireLock(target, 'r2', 60_000)).toEqual({
        acquired: false,
        heldBy: 'r1',
      });
      expect(await store.acquireLock(other, 'r2', 60_000)).toEqual({
        acquired: true,
      });
      await store.releaseLock('someone-else');
      expect(await store.acquireLock(target, 'r3', 60_000)).toMatchObject({
        acquired: false,
      });
      await store.releaseLock('r1');
      expect(await store.acquireLock(target, 'r3', 1)).toEqual({
        acquired: true,
      });
      await new Promise(r => setTimeout(r, 20));
      expect(await store.acquireLock(target, 'r4', 60_000)).toEqual({
        acquired: true,
      });

      // Cooldown input: finished runs on the deployment that changed something.
      const finished = {
        ...run('r1'),
        status: 'succeeded' as const,
        finishedAt: new Date(5_000).toISOString(),
      };
      await store.saveRun(finished);
      expect(await store.lastFinishedAt(target)).toBe(5_000);
      expect(await store.lastFinishedAt(other)).toBeUndefined();

      await store.recordPrevious(
        target,
        'RATE_LIMIT_MODE',
        { name: 'RATE_LIMIT_MODE', value: 'direct' },
        'r1',
      );
      await store.recordPrevious(target, 'VASTAI_FALLBACK', undefined, 'r1');
      expect(await store.readPrevious(target, 'RATE_LIMIT_MODE')).toEqual({
        entry: { name: 'RATE_LIMIT_MODE', value: 'direct' },
      });
      expect(await store.readPrevious(target, 'VASTAI_FALLBACK')).toEqual({
        entry: undefined,
      });
      expect(
        await store.readPrevious(other, 'RATE_LIMIT_MODE'),
      ).toBeUndefined();
      await store.forgetPrevious(target, 'RATE_LIMIT_MODE');
      expect(
        await store.readPrevious(target, 'RATE_LIMIT_MODE'),
      ).toBeUndefined();

      await store.recordKeyId('x', 7);
      await store.recordKeyId('x', 9);
      expect(await store.readKeyId('x')).toBe(9);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps a run, its lock, its audit row and its interruption once when the answer to a commit is lost, on %p',
    async id => {
      const knex = await databases.init(id);
      await ActionStore.create({ database: databaseOf(knex) });
      const faults: TransactionFault[] = [];
      const store = new ActionStore(flakyKnex(knex, faults));
      const lose = (...next: TransactionFault[]) => faults.push(...next);
      const target = { cluster: 'c', namespace: 'ns', deployment: 'svc' };
      const key = { idempotencyKey: 'k', requestHash: 'h', target };
      const lease = { owner: 'replica-a', expiresAt: Date.now() + 60_000 };

      lose('answer-lost');
      expect(await store.insertRun(run('r1'), key, lease)).toBe(true);
      lose('refused', 'answer-lost');
      expect(await store.acquireLock(target, 'r1', 60_000)).toEqual({
        acquired: true,
      });
      // Another run still finds the deployment taken, by r1.
      expect(await store.acquireLock(target, 'r2', 60_000)).toEqual({
        acquired: false,
        heldBy: 'r1',
      });
      lose('answer-lost');
      expect(await store.saveRun({ ...run('r1'), phase: 'rolling-out' })).toBe(
        true,
      );

      const hooked: string[] = [];
      const startedAt = Date.now() - 1000;
      lose('answer-lost');
      await store.appendAudit(
        {
          runId: 'r1',
          actor: 'user:default/alice',
          entityRef: 'component:default/x',
          actionId: 'queue-mode',
          dryRun: false,
          outcome: 'failed',
          reason: 'the rollout stalled',
          idempotencyKey: 'k',
          startedAt,
          finishedAt: startedAt + 500,
        },
        async (_trx, row) => {
          hooked.push(row.outcome);
        },
      );
      // The hook ran in the saved attempt only: the repeated one found the row.
      expect(hooked).toEqual(['failed']);
      expect(
        (await knex('vastai_action_audit').where({ run_id: 'r1' })).map(
          r => r.outcome,
        ),
      ).toEqual(['failed']);

      // A run whose lease ran out, ended once by a sweeper whose commit answer was lost.
      await knex('vastai_action_runs')
        .where({ run_id: 'r1' })
        .update({ lease_expires_at: 1 });
      lose('answer-lost');
      expect(
        await store.interruptRun(
          { ...run('r1'), status: 'interrupted' },
          Date.now(),
        ),
      ).toBe(true);
      expect(await store.lockHolder(target)).toBeUndefined();
      lose('answer-lost');
      await store.releaseLock('r1');
      expect(faults).toEqual([]);
      expect(await store.getRun('r1')).toMatchObject({ status: 'interrupted' });
    },
  );

  it.each(databases.eachSupportedId())(
    'appends audit rows (and runs the hook in their transaction) on %p',
    async id => {
      const knex = await databases.init(id);
      const store = await ActionStore.create({ database: databaseOf(knex) });
      const row = {
        actor: 'user:default/alice',
        entityRef: 'component:default/x',
        actionId: 'queue-mode',
        dryRun: true,
        outcome: 'dry-run',
        diff: [{ object: 'o', path: 'p', before: 'a', after: 'b' }],
        startedAt: 1_000,
        finishedAt: 1_250,
      };
      await store.appendAudit(row);
      // A hook that fails rolls the audit row back with it: one transaction.
      await expect(
        store.appendAudit(row, async trx => {
          expect(trx.isTransaction).toBe(true);
          throw new Error('timeline write failed');
        }),
      ).rejects.toThrow('timeline write failed');
      const entries = await store.listAudit('component:default/x');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        outcome: 'dry-run',
        durationMs: 250,
        diff: row.diff,
        dryRun: true,
      });
      // Append-only through the API: the store offers no way to change or remove a row.
      const methods = Object.getOwnPropertyNames(ActionStore.prototype).filter(
        m => /audit/i.test(m),
      );
      expect(methods.sort()).toEqual(['appendAudit', 'listAudit']);
    },
  );
});
