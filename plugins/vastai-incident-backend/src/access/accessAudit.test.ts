import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import type { Request } from 'express';
import { applyDatabaseMigrations } from '../database/migrations';
import { recordingAuditor } from '../testing/actionsTestKit';
import { AccessAudit, AccessAuditStore } from './accessAudit';

jest.setTimeout(60_000);

describe('AccessAudit', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it.each(databases.eachSupportedId())(
    'records a refusal as a row and a failed auditor event, with the request line and never its query, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new AccessAuditStore(knex);
      const auditor = recordingAuditor();
      const audit = new AccessAudit({
        store,
        auditor,
        logger: mockServices.logger.mock(),
      });
      const error = new NotAllowedError('not bound');
      await audit.refused(
        {
          actor: 'user:default/guest',
          entityRef: 'component:default/intruder',
          integration: 'vastai-batch-worker',
          outcome: 'unbound',
          reason: error.message,
          request: {
            method: 'GET',
            originalUrl: '/api/vastai-incident/v1/x/logs?token=q-secret',
          } as Request,
        },
        error,
      );
      const [entry] = await store.list('component:default/intruder');
      expect(entry).toMatchObject({
        actor: 'user:default/guest',
        integration: 'vastai-batch-worker',
        outcome: 'unbound',
        request: 'GET /api/vastai-incident/v1/x/logs',
        reason: 'not bound',
      });
      expect(auditor.events).toEqual([
        expect.objectContaining({
          eventId: 'entity-access-refused',
          severityLevel: 'high',
          outcome: 'fail',
          meta: {
            entityRef: 'component:default/intruder',
            integration: 'vastai-batch-worker',
            outcome: 'unbound',
          },
        }),
      ]);
      expect(JSON.stringify({ entry, events: auditor.events })).not.toContain(
        'q-secret',
      );
    },
  );

  it('still sends the auditor event when the row cannot be written', async () => {
    const auditor = recordingAuditor();
    const logger = mockServices.logger.mock();
    const audit = new AccessAudit({
      store: {
        append: async () => {
          throw new Error('database down');
        },
      } as unknown as AccessAuditStore,
      auditor,
      logger,
    });
    await audit.refused(
      {
        actor: 'user:default/guest',
        entityRef: 'component:default/a',
        outcome: 'denied',
        permission: 'vastai.incident.read',
        reason: 'no',
      },
      new NotAllowedError('no'),
    );
    expect(auditor.events).toMatchObject([
      { eventId: 'entity-access-refused', severityLevel: 'medium' },
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('database down'),
    );
  });
});
