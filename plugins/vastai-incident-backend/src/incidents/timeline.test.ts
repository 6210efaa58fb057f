import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ActionStore } from '../actions/store';
import { incidentTimelineAuditHook } from './actionsHook';
import { readIncidentsConfig } from './commsConfig';
import { IncidentService } from './service';
import { IncidentStore } from './store';

jest.setTimeout(120_000);

describe('incident timeline fed by triage and actions', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  it.each(databases.eachSupportedId())(
    'records triage severity changes once and action outcomes in the audit transaction on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const database = { getClient: async () => knex };
      const store = await IncidentStore.create({ database });
      const actions = await ActionStore.create({ database });
      const service = new IncidentService({
        store,
        logger: mockServices.logger.mock(),
        config: readIncidentsConfig(new ConfigReader({})),
      });
      const entityRef = 'component:default/vastai-integration';
      // No open incident: nothing recorded, nothing thrown.
      await service.noteTriageSeverity(entityRef, 'P1');
      const incident = await service.declare(
        {
          entityRef,
          title: 'Auth failing',
          severity: 'P1',
          impact: 'All calls 401',
        },
        'user:default/alice',
      );
      await Promise.all([
        service.noteTriageSeverity(entityRef, 'P1'),
        service.noteTriageSeverity(entityRef, 'P1'),
      ]);
      await service.noteTriageSeverity(entityRef, 'P1');
      await service.noteTriageSeverity(entityRef, null);

      const hook = incidentTimelineAuditHook(service.redact);
      const row = (outcome: string, dryRun = false) => ({
        actor: 'user:default/alice',
        entityRef,
        actionId: 'rotate-api-key',
        dryRun,
        outcome,
        reason: outcome === 'failed' ? 'rollout did not finish' : undefined,
        startedAt: Date.now() - 1000,
        finishedAt: Date.now(),
      });
      await actions.appendAudit(row('dry-run', true), hook);
      await actions.appendAudit(row('succeeded'), hook);
      await actions.appendAudit(row('failed'), hook);
      // A hook failure rolls the audit row back with it: both or neither.
      const before = (await actions.listAudit(entityRef)).length;
      await expect(
        actions.appendAudit(row('succeeded'), async (trx, r) => {
          await hook(trx, r);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await actions.listAudit(entityRef)).length).toBe(before);

      const events = await service.timeline(incident.id);
      expect(events.map(e => [e.kind, e.summary])).toEqual([
        [
          'declared',
          expect.stringContaining('Incident declared: Auth failing (P1'),
        ],
        ['triage-severity', expect.stringContaining('Triage now reports P1')],
        [
          'triage-severity',
          expect.stringContaining('Triage now reports no problem'),
        ],
        ['action', 'Action rotate-api-key succeeded'],
        ['action', 'Action rotate-api-key failed (rollout did not finish)'],
      ]);
      // The Slack template's "current action" is the latest action.
      const preview = await service.preview(incident.id, 'slack');
      expect(preview.text).toContain(
        '*Current action:* Action rotate-api-key failed',
      );
    },
  );
});
