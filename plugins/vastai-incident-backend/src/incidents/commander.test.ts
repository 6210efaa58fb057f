import type { Entity } from '@backstage/catalog-model';
import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  CatalogCommanderDirectory,
  commanderUserRef,
  SLACK_USER_ID_ANNOTATION,
  slackCommander,
  slackUserIdOf,
} from './commander';
import { readIncidentsConfig } from './commsConfig';
import { IncidentService } from './service';
import { IncidentStore } from './store';

function user(
  name: string,
  options: { slackId?: unknown; displayName?: unknown } = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: {
      name,
      namespace: 'default',
      annotations:
        options.slackId === undefined
          ? {}
          : { [SLACK_USER_ID_ANNOTATION]: options.slackId as string },
    },
    spec: {
      profile:
        options.displayName === undefined
          ? {}
          : { displayName: options.displayName },
      memberOf: [],
    },
  };
}

const USERS = [
  user('ada', { slackId: 'U024BE7LH', displayName: 'Ada Lovelace' }),
  user('grace', { displayName: 'Grace Hopper' }),
  user('wendy', { slackId: 'W0123ABCD', displayName: 'Wendy' }),
  user('nobody'),
  // Hostile or broken catalog data: none of it may become Slack markup.
  user('mallory', { slackId: '<!channel>', displayName: '<!channel> Mallory' }),
  user('eve', { slackId: 'U123> <!here', displayName: 'Eve <@U999> & co' }),
  user('lower', { slackId: 'u024be7lh', displayName: 'Lower' }),
  user('short', { slackId: 'U1', displayName: 'Short' }),
  user('number', { slackId: 12345, displayName: 42 }),
];

function directory(
  catalog: CatalogService = catalogServiceMock({ entities: USERS }),
) {
  return new CatalogCommanderDirectory({
    catalog,
    logger: mockServices.logger.mock(),
  });
}

const GRACE = mockCredentials.user('user:default/grace');
const GUEST = mockCredentials.user('user:default/guest');

/**
 * The catalog as a permission policy shows it: `ada` is readable by GRACE only (and the plugin's
 * own service credentials, which must never be the ones used); every read is recorded.
 */
function restrictedCatalog() {
  const reads: Array<{ ref: string; as: string }> = [];
  const all = catalogServiceMock({ entities: USERS });
  const catalog = catalogServiceMock.mock({
    async getEntityByRef(ref: any, options: any) {
      const principal = options?.credentials?.principal ?? {};
      const as =
        principal.userEntityRef ?? `${principal.type}:${principal.subject}`;
      reads.push({ ref: String(ref), as });
      if (
        String(ref) === 'user:default/ada' &&
        as !== 'user:default/grace' &&
        principal.type !== 'service'
      )
        return undefined;
      return all.getEntityByRef(ref, options);
    },
  });
  return { catalog, reads };
}

describe('the commander in Slack', () => {
  it('accepts only Slack member ids as the annotation', () => {
    expect(slackUserIdOf('U024BE7LH')).toBe('U024BE7LH');
    expect(slackUserIdOf('W0123ABCD')).toBe('W0123ABCD');
    for (const bad of [
      '<!channel>',
      '!here',
      'U123>',
      'U123 <!here>',
      'u024be7lh',
      'U1',
      'C024BE7LH',
      'U024BE7LH\n',
      '',
      12345,
      undefined,
    ]) {
      expect(slackUserIdOf(bad)).toBeUndefined();
    }
  });

  it('reads user refs from the commander text, not free text or other kinds', () => {
    expect(commanderUserRef('user:default/ada')).toBe('user:default/ada');
    expect(commanderUserRef('ada')).toBe('user:default/ada');
    expect(commanderUserRef('ops/ada')).toBe('user:ops/ada');
    expect(commanderUserRef('Ada Lovelace')).toBeUndefined();
    expect(commanderUserRef('group:default/oncall')).toBeUndefined();
    expect(commanderUserRef('<!channel>')).toBeUndefined();
  });

  it.each([
    ['user:default/ada', '<@U024BE7LH>'],
    ['user:default/wendy', '<@W0123ABCD>'],
    ['user:default/grace', 'Grace Hopper'],
    ['user:default/nobody', 'user:default/nobody'],
    ['user:default/unknown', 'user:default/unknown'],
    ['Ada Lovelace', 'Ada Lovelace'],
    ['user:default/mallory', '&lt;!channel&gt; Mallory'],
    ['user:default/eve', 'Eve &lt;@U999&gt; &amp; co'],
    ['user:default/lower', 'Lower'],
    ['user:default/short', 'Short'],
    ['user:default/number', 'user:default/number'],
    ['<!channel>', '&lt;!channel&gt;'],
  ])('%s is shown as %s', async (commander, shown) => {
    expect(await slackCommander(directory(), commander, GRACE)).toBe(shown);
  });

  it('falls back to the name when the catalog fails, and looks each commander up once per TTL', async () => {
    const catalog = catalogServiceMock({ entities: USERS });
    const lookups = jest.spyOn(catalog, 'getEntityByRef');
    const commanders = directory(catalog);
    await slackCommander(commanders, 'user:default/ada', GRACE);
    await slackCommander(commanders, 'user:default/ada', GRACE);
    expect(lookups).toHaveBeenCalledTimes(1);

    lookups.mockRejectedValue(new Error('catalog down'));
    expect(await slackCommander(commanders, 'user:default/grace', GRACE)).toBe(
      'user:default/grace',
    );
    expect(await slackCommander(undefined, 'user:default/ada', GRACE)).toBe(
      'user:default/ada',
    );
  });

  it("reads the catalog with the caller's credentials: a user the caller may not read is shown as entered, never its name or Slack id", async () => {
    const { catalog, reads } = restrictedCatalog();
    const commanders = directory(catalog);
    expect(await slackCommander(commanders, 'user:default/ada', GUEST)).toBe(
      'user:default/ada',
    );
    // Another caller's answer is not shared through the cache, either way round.
    expect(await slackCommander(commanders, 'user:default/ada', GRACE)).toBe(
      '<@U024BE7LH>',
    );
    expect(await slackCommander(commanders, 'user:default/ada', GUEST)).toBe(
      'user:default/ada',
    );
    expect(reads).toEqual([
      { ref: 'user:default/ada', as: 'user:default/guest' },
      { ref: 'user:default/ada', as: 'user:default/grace' },
    ]);
  });

  it('reads nothing from the catalog without the caller: the name as entered', async () => {
    const { catalog, reads } = restrictedCatalog();
    expect(await slackCommander(directory(catalog), 'user:default/ada')).toBe(
      'user:default/ada',
    );
    expect(reads).toEqual([]);
  });
});

describe('the Slack preview names the commander from the catalog', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('mentions a commander with a Slack id, and a renamed commander by display name, as the caller may read them', async () => {
    const knex = await databases.init('SQLITE_3');
    const { catalog } = restrictedCatalog();
    const store = await IncidentStore.create({
      database: { getClient: async () => knex },
    });
    const service = new IncidentService({
      store,
      logger: mockServices.logger.mock(),
      config: readIncidentsConfig(new ConfigReader({})),
      commanders: directory(catalog),
    });
    const incident = await service.declare(
      {
        entityRef: 'component:default/vastai-integration',
        title: 'Vast.ai API returns 503',
        impact: 'GPU launches fail',
        severity: 'P1',
        commander: 'user:default/ada',
      },
      'user:default/grace',
    );
    const preview = await service.preview(incident.id, 'slack', GRACE);
    expect(preview.text.split('\n').pop()).toBe(
      '*Incident commander:* <@U024BE7LH>',
    );
    expect((preview.blocks![0] as any).text.text).toBe(
      '🔴 P1 INCIDENT: Vast.ai API returns 503',
    );
    // A caller who may not read the commander's User entity sees the ref as entered.
    const unreadable = await service.preview(incident.id, 'slack', GUEST);
    expect(unreadable.text.split('\n').pop()).toBe(
      '*Incident commander:* user:default/ada',
    );

    await service.update(
      incident.id,
      { commander: 'user:default/mallory' },
      'user:default/grace',
    );
    const hostile = await service.preview(incident.id, 'slack', GRACE);
    expect(hostile.text).toContain(
      '*Incident commander:* &lt;!channel&gt; Mallory',
    );
    expect(hostile.text).not.toContain('<!channel>');
  });
});
