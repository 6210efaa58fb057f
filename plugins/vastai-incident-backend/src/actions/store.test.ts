import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ActionStore } from './store';
import { databaseOf } from './actionsTestKit';
import type { ActionRun } from './types';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@internal/plugin-vastai-incident-backend',
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

  // S21: in CI a skipped PostgreSQL is a failure, not a silent pass.
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
    'keeps runs, locks, previous values and key ids on %p',
    async id => {
      const knex = await databases.init(id);
      const store = await ActionStore.create({ database: databaseOf(knex) });

      // Idempotency: the second insert with the same (entity, action, key) is a replay.
      expect(await store.insertRun(run('r1'), 'k')).toBe(true);
      expect(await store.insertRun(run('r2'), 'k')).toBe(false);
      expect(
        (await store.findRunByKey('component:default/x', 'queue-mode', 'k'))
          ?.runId,
      ).toBe('r1');

      // Lock: insert-or-fail; released or expired locks can be taken again.
      expect(
        await store.acquireLock(
          'component:default/x',
          'queue-mode',
          'r1',
          60_000,
        ),
      ).toBe(true);
      expect(
        await store.acquireLock(
          'component:default/x',
          'queue-mode',
          'r2',
          60_000,
        ),
      ).toBe(false);
      expect(
        await store.acquireLock(
          'component:default/x',
          'direct-mode',
          'r2',
          60_000,
        ),
      ).toBe(true);
      await store.releaseLock(
        'component:default/x',
        'queue-mode',
        'someone-else',
      );
      expect(
        await store.acquireLock(
          'component:default/x',
          'queue-mode',
          'r3',
          60_000,
        ),
      ).toBe(false);
      await store.releaseLock('component:default/x', 'queue-mode', 'r1');
      expect(
        await store.acquireLock('component:default/x', 'queue-mode', 'r3', 1),
      ).toBe(true);
      await new Promise(r => setTimeout(r, 20));
      expect(
        await store.acquireLock(
          'component:default/x',
          'queue-mode',
          'r4',
          60_000,
        ),
      ).toBe(true);

      // Cooldown input: only finished runs that changed something count.
      const finished = {
        ...run('r1'),
        status: 'succeeded' as const,
        finishedAt: new Date(5_000).toISOString(),
      };
      await store.saveRun(finished);
      expect(
        await store.lastFinishedAt('component:default/x', 'queue-mode'),
      ).toBe(5_000);

      await store.recordPrevious(
        'component:default/x',
        'RATE_LIMIT_MODE',
        { name: 'RATE_LIMIT_MODE', value: 'direct' },
        'r1',
      );
      await store.recordPrevious(
        'component:default/x',
        'VASTAI_FALLBACK',
        undefined,
        'r1',
      );
      expect(
        await store.readPrevious('component:default/x', 'RATE_LIMIT_MODE'),
      ).toEqual({
        entry: { name: 'RATE_LIMIT_MODE', value: 'direct' },
      });
      expect(
        await store.readPrevious('component:default/x', 'VASTAI_FALLBACK'),
      ).toEqual({ entry: undefined });
      expect(
        await store.readPrevious('component:default/x', 'OTHER'),
      ).toBeUndefined();

      await store.recordKeyId('x', 7);
      await store.recordKeyId('x', 9);
      expect(await store.readKeyId('x')).toBe(9);
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
      // A hook that fails rolls the audit row back with it: one transaction (S20).
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
