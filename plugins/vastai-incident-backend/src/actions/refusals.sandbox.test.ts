/**
 * Every refusal of a remediation is on record: an audit row and a failed auditor event, with no
 * secret in either, against the sandbox's Kubernetes and Vast.ai APIs on SQLite and PostgreSQL.
 */
import {
  mockCredentials,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { ActionId } from '@vastai-incident/backstage-plugin-common';
import { Sandbox, startSandbox } from '@internal/vastai-sandbox';
import {
  buildActions,
  ENTITY_REF,
  INTEGRATION,
  leakForms,
  sandboxConfig,
} from '../testing/actionsTestKit';

jest.setTimeout(180_000);

const alice = mockCredentials.user('user:default/alice');
const OPERATOR_KEY = 'sandbox-operator-key';

describe('refused remediations', () => {
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

  async function kitWith(
    databaseId: TestDatabaseId,
    change: (plugin: JsonObject) => JsonObject,
  ) {
    const knex = await databases.init(databaseId);
    const base = sandboxConfig(sandbox.urls, {
      cooldownSeconds: 600,
      verifyTimeoutSeconds: 20,
    });
    const kit = await buildActions({
      config: {
        ...base,
        vastaiIncident: change(base.vastaiIncident as JsonObject),
      },
      knex,
      withSignals: false,
    });
    const run = (actionId: ActionId, key: string, as = alice) =>
      kit.service.run({
        credentials: as,
        entityRef: ENTITY_REF,
        integration: kit.service.integration(INTEGRATION)!,
        actionId,
        dryRun: false,
        idempotencyKey: key,
      });
    const rows = () => knex('vastai_action_audit').orderBy('id').select();
    return { kit, knex, run, rows };
  }

  /** Nothing secret in what was recorded. */
  function expectNoSecret(recorded: unknown) {
    const text = JSON.stringify(recorded);
    for (const form of [...leakForms(OPERATOR_KEY), 'sandbox-token']) {
      expect(text).not.toContain(form);
    }
  }

  it.each(databases.eachSupportedId())(
    'records the kill switch (actions disabled) as an audit row and a failed auditor event, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { kit, run, rows } = await kitWith(databaseId, plugin => ({
        ...plugin,
        actionsEnabled: false,
      }));
      sandbox.kube.clearWrites();
      await expect(run('enable-fallback', 'off-1')).rejects.toMatchObject({
        name: 'NotAllowedError',
      });
      expect(await rows()).toMatchObject([
        {
          action_id: 'enable-fallback',
          outcome: 'rejected',
          reason: expect.stringContaining('disabled by configuration'),
          actor: 'user:default/alice',
        },
      ]);
      expect(kit.auditor.events).toMatchObject([
        { eventId: 'enable-fallback', outcome: 'fail' },
      ]);
      expect(sandbox.kube.writes().filter(w => !w.dryRun)).toEqual([]);
      expectNoSecret({ rows: await rows(), events: kit.auditor.events });
    },
  );

  it.each(databases.eachSupportedId())(
    'records a rotation awaiting a second approval, and a self-approval, each as an audit row and a failed auditor event, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { kit, run, rows } = await kitWith(databaseId, plugin => ({
        ...plugin,
        actions: {
          ...(plugin.actions as JsonObject),
          requireSecondApprovalForKeyRotation: true,
        },
      }));
      const asked = await run('rotate-api-key', 'approve-1');
      expect(asked.run.status).toBe('awaiting-approval');
      await expect(
        kit.service.approve({
          credentials: alice,
          entityRef: ENTITY_REF,
          integration: kit.service.integration(INTEGRATION)!,
          runId: asked.run.runId,
        }),
      ).rejects.toMatchObject({ name: 'NotAllowedError' });
      expect(
        (await rows()).map(r => [r.action_id, r.outcome, r.actor]),
      ).toEqual([
        ['rotate-api-key', 'awaiting-approval', 'user:default/alice'],
        ['rotate-api-key', 'denied', 'user:default/alice'],
      ]);
      expect(
        kit.auditor.events.map(e => [e.eventId, e.severityLevel, e.outcome]),
      ).toEqual([
        ['rotate-api-key', 'high', 'fail'],
        ['rotate-api-key', 'high', 'fail'],
      ]);
      expectNoSecret({ rows: await rows(), events: kit.auditor.events });
    },
  );

  it.each(databases.eachSupportedId())(
    'records a run refused while another holds the deployment, and one refused in the cooldown, each as an audit row and a failed auditor event, on %p',
    async databaseId => {
      await sandbox.setScenario('healthy');
      const { kit, run, rows } = await kitWith(databaseId, plugin => plugin);
      const first = await run('enable-fallback', 'lock-1');
      expect(first.httpStatus).toBe(202);
      const busy = await run('queue-mode', 'lock-2');
      expect(busy.run).toMatchObject({ status: 'rejected', code: 'busy' });
      await kit.service.idle();
      const cooling = await run('direct-mode', 'lock-3');
      expect(cooling.run).toMatchObject({
        status: 'rejected',
        code: 'cooldown',
      });
      const refused = (await rows()).filter(r => r.outcome === 'rejected');
      expect(refused.map(r => r.action_id)).toEqual([
        'queue-mode',
        'direct-mode',
      ]);
      const failed = kit.auditor.events.filter(
        e =>
          (e.eventId === 'queue-mode' || e.eventId === 'direct-mode') &&
          e.outcome === 'fail',
      );
      expect(failed.map(e => (e.outcomeMeta as any)?.code)).toEqual([
        'busy',
        'cooldown',
      ]);
      expectNoSecret({ rows: await rows(), events: kit.auditor.events });
    },
  );
});
