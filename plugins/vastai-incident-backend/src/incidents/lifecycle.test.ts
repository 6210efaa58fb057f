import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { Incident } from '@vastai-incident/backstage-plugin-common';
import { readIncidentsConfig } from './commsConfig';
import { IncidentService } from './service';
import { IncidentStore } from './store';

jest.setTimeout(120_000);

const entityRef = 'component:default/vastai-integration';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

describe('incident state changes', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function serviceOn(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const store = await IncidentStore.create({
      database: { getClient: async () => knex },
    });
    return new IncidentService({
      store,
      logger: mockServices.logger.mock(),
      config: readIncidentsConfig(new ConfigReader({})),
    });
  }

  /** The errors of the calls that were refused: name and message. */
  const refusals = (results: PromiseSettledResult<unknown>[]) =>
    results.flatMap(r =>
      r.status === 'rejected'
        ? [{ name: r.reason?.name, message: r.reason?.message }]
        : [],
    );

  const declare = (service: IncidentService) =>
    service.declare(
      {
        entityRef,
        title: 'Vast.ai calls failing',
        severity: 'P1',
        impact: 'x',
      },
      ALICE,
    );

  it.each(databases.eachSupportedId())(
    'concurrent updates never reopen a resolved incident, and concurrent declarations open one incident per entity on %p',
    async databaseId => {
      const service = await serviceOn(databaseId);
      let incident: Incident = await declare(service);
      for (let round = 0; round < 4; round++) {
        // The resolution first and the other changes right behind it, each on its own read.
        const updates = await Promise.allSettled([
          service.update(incident.id, { status: 'resolved' }, ALICE),
          service.update(incident.id, { status: 'monitoring' }, BOB),
          service.update(incident.id, { status: 'identified' }, BOB),
          service.update(incident.id, { severity: 'P2' }, BOB),
          service.update(incident.id, { impact: `round ${round}` }, BOB),
        ]);
        expect(updates[0].status).toBe('fulfilled');
        // A change that lost the race to the resolution is refused, never applied.
        expect(refusals(updates)).toEqual(
          refusals(updates).map(() => ({
            name: 'ConflictError',
            message: 'The incident is resolved; declare a new one instead',
          })),
        );
        const after = await service.get(incident.id);
        expect(after.status).toBe('resolved');
        // Nothing changed the incident after its resolution.
        const timeline = await service.timeline(incident.id);
        const resolvedAt = timeline.findIndex(
          e => e.kind === 'status' && (e.detail as any)?.to === 'resolved',
        );
        expect(resolvedAt).toBeGreaterThan(0);
        expect(timeline.slice(resolvedAt + 1)).toEqual([]);

        // Declarations racing: one wins, the others are refused; one open incident.
        const declarations = await Promise.allSettled([
          declare(service),
          declare(service),
          declare(service),
        ]);
        const won = declarations.filter(d => d.status === 'fulfilled');
        expect(won).toHaveLength(1);
        expect(refusals(declarations).map(r => r.name)).toEqual([
          'ConflictError',
          'ConflictError',
        ]);
        const open = await service.list({ entityRef, open: true });
        expect(open).toHaveLength(1);
        incident = (won[0] as PromiseFulfilledResult<Incident>).value;
        expect(open[0].id).toBe(incident.id);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'an update of a resolved incident is refused with 409 and writes nothing on %p',
    async databaseId => {
      const service = await serviceOn(databaseId);
      const incident = await declare(service);
      await service.update(incident.id, { status: 'resolved' }, ALICE);
      const before = await service.timeline(incident.id);
      await expect(
        service.update(incident.id, { status: 'investigating' }, BOB),
      ).rejects.toMatchObject({
        name: 'ConflictError',
        message: 'The incident is resolved; declare a new one instead',
      });
      expect(await service.timeline(incident.id)).toEqual(before);
      expect((await service.get(incident.id)).status).toBe('resolved');
    },
  );
});
