import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { Incident } from '@vastai-incident/backstage-plugin-common';
import { readIncidentsConfig } from './commsConfig';
import { IncidentService } from './service';
import type { IncidentStore } from './store';

const entityRef = 'component:default/vastai-integration';

/** A store that records the triage readings it is given and can declare one incident. */
function fakeStore() {
  const incident = { id: 'i-1', entityRef, title: 't' } as Incident;
  return {
    noteTriageSeverity: jest.fn(async () => undefined),
    openIncidentOf: jest.fn(async () => undefined),
    insertIncident: jest.fn(async () => true),
    getIncident: jest.fn(async () => incident),
  };
}

function serviceOver(store: ReturnType<typeof fakeStore>) {
  return new IncidentService({
    store: store as unknown as IncidentStore,
    logger: mockServices.logger.mock(),
    config: readIncidentsConfig(new ConfigReader({})),
  });
}

describe('IncidentService.noteTriageSeverity', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes a triage severity only when it differs from the last one seen for the entity', async () => {
    const store = fakeStore();
    const service = serviceOver(store);
    await service.noteTriageSeverity(entityRef, 'P1');
    await Promise.all([
      service.noteTriageSeverity(entityRef, 'P1'),
      service.noteTriageSeverity(entityRef, 'P1'),
    ]);
    await service.noteTriageSeverity('component:default/other', 'P1');
    await service.noteTriageSeverity(entityRef, null);
    await service.noteTriageSeverity(entityRef, null);
    await service.noteTriageSeverity(entityRef, 'P2');
    expect(store.noteTriageSeverity.mock.calls.map(c => c.slice(0, 2))).toEqual(
      [
        [entityRef, 'P1'],
        ['component:default/other', 'P1'],
        [entityRef, 'none'],
        [entityRef, 'P2'],
      ],
    );
  });

  it('writes the same severity again after a declaration, a failed write, or a minute', async () => {
    const store = fakeStore();
    const service = serviceOver(store);
    await service.noteTriageSeverity(entityRef, 'P1');
    await service.declare(
      { entityRef, title: 'Auth failing', severity: 'P1', impact: '401s' },
      'user:default/alice',
    );
    // The new incident has no reading yet.
    await service.noteTriageSeverity(entityRef, 'P1');
    expect(store.noteTriageSeverity).toHaveBeenCalledTimes(2);

    store.noteTriageSeverity.mockRejectedValueOnce(new Error('db down'));
    await service.noteTriageSeverity(entityRef, 'P3');
    await service.noteTriageSeverity(entityRef, 'P3');
    expect(store.noteTriageSeverity).toHaveBeenCalledTimes(4);

    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 30_000);
    await service.noteTriageSeverity(entityRef, 'P3');
    expect(store.noteTriageSeverity).toHaveBeenCalledTimes(4);
    jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    await service.noteTriageSeverity(entityRef, 'P3');
    expect(store.noteTriageSeverity).toHaveBeenCalledTimes(5);
  });
});
