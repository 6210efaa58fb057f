import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { Client } from 'pg';
import {
  PortalTestBackend,
  startPortalTestBackend,
} from './testing/startPortalTestBackend';
import {
  getJson,
  signInAsGuest,
  waitForDemoCatalog,
} from './testing/portalClient';

// Booting every plugin and ingesting the catalog takes a while on a shared 2-core machine.
jest.setTimeout(120_000);

const POSTGRES_URL_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING';

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** A database prefix of our own, so the run's per-plugin PostgreSQL databases can be found and dropped. */
const pgPrefix = `portal_test_${process.pid}_${Date.now().toString(36)}_`;

function databaseConfig(id: TestDatabaseId): JsonObject {
  if (id === 'POSTGRES_15') {
    return {
      client: 'pg',
      connection: process.env[POSTGRES_URL_ENV]!,
      prefix: pgPrefix,
    };
  }
  return { client: 'better-sqlite3', connection: ':memory:' };
}

async function withPostgres<T>(
  database: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const url = new URL(process.env[POSTGRES_URL_ENV]!);
  url.pathname = `/${database}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL databases this run's backend created (one per plugin, named with the prefix). */
function databasesOfThisRun(): Promise<string[]> {
  return withPostgres('postgres', async client =>
    (
      await client.query(
        'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
        [pgPrefix],
      )
    ).rows.map(r => r.datname),
  );
}

describe('the portal backend', () => {
  // The database tests must not pass by skipping PostgreSQL.
  it('has PostgreSQL to test against', () => {
    expect(process.env[POSTGRES_URL_ENV]).toBeTruthy();
    expect(databases.eachSupportedId().map(([id]) => id)).toEqual(
      expect.arrayContaining(['SQLITE_3', 'POSTGRES_15']),
    );
  });

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    let backend: PortalTestBackend;
    let token: string;

    beforeAll(async () => {
      backend = await startPortalTestBackend({
        database: databaseConfig(databaseId),
      });
      ({ token } = await signInAsGuest(backend.baseUrl));
      await waitForDemoCatalog(backend.baseUrl, token);
    });

    afterAll(async () => {
      await backend?.stop();
      if (databaseId === 'POSTGRES_15') {
        const created = await databasesOfThisRun();
        await withPostgres('postgres', async client => {
          for (const datname of created) {
            await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
          }
        });
      }
    });

    it('reports healthy', async () => {
      for (const probe of ['liveness', 'readiness']) {
        const res = await fetch(
          `${backend.baseUrl}/.backstage/health/v1/${probe}`,
        );
        expect(res.status).toBe(200);
      }
    });

    it('serves the demo entities from the catalog', async () => {
      const integration = await getJson(
        backend.baseUrl,
        '/api/catalog/entities/by-name/component/default/vastai-integration',
        token,
      );
      expect(integration.status).toBe(200);
      expect(integration.body.metadata.annotations).toMatchObject({
        'vast.ai/integration': 'vastai-integration',
        'backstage.io/kubernetes-id': 'vastai-integration',
      });
      expect(integration.body.spec.owner).toBe('group:default/vastai-oncall');

      const components = await getJson(
        backend.baseUrl,
        '/api/catalog/entities?filter=kind=component',
        token,
      );
      expect(components.status).toBe(200);
      const byName = Object.fromEntries(
        components.body.map((e: any) => [e.metadata.name, e]),
      );
      expect(Object.keys(byName)).toEqual(
        expect.arrayContaining([
          'vastai-integration',
          'vastai-batch-worker',
          'billing-api',
          'vastai-incident-plugins',
        ]),
      );
      expect(byName['vastai-batch-worker'].spec.owner).toBe(
        'group:default/gpu-batch',
      );
      expect(
        byName['billing-api'].metadata.annotations?.['vast.ai/integration'],
      ).toBeUndefined();
    });

    it('signs the guest in as the on-call user, with its team', async () => {
      const guest = await signInAsGuest(backend.baseUrl);
      expect(guest.userEntityRef).toBe('user:default/guest');
      expect(guest.ownershipEntityRefs).toEqual(
        expect.arrayContaining([
          'user:default/guest',
          'group:default/vastai-oncall',
        ]),
      );
      expect(guest.ownershipEntityRefs).not.toContain(
        'group:default/gpu-batch',
      );
    });

    it('runs the kubernetes backend with the sandbox cluster', async () => {
      const clusters = await getJson(
        backend.baseUrl,
        '/api/kubernetes/clusters',
        token,
      );
      expect(clusters.status).toBe(200);
      expect(clusters.body.items.map((c: any) => c.name)).toContain('sandbox');
    });

    it('runs the Vast.ai incident plugin with its permissions registered', async () => {
      const metadata = await getJson(
        backend.baseUrl,
        '/api/vastai-incident/.well-known/backstage/permissions/metadata',
        token,
      );
      expect(metadata.status).toBe(200);
      expect(metadata.body.permissions.map((p: any) => p.name)).toEqual(
        expect.arrayContaining([
          'vastai.incident.read',
          'vastai.remediation.execute',
        ]),
      );
    });

    if (databaseId === 'POSTGRES_15') {
      it('really keeps its data in PostgreSQL', async () => {
        const catalogDb = `${pgPrefix}catalog`;
        expect(await databasesOfThisRun()).toEqual(
          expect.arrayContaining([catalogDb, `${pgPrefix}auth`]),
        );
        const refs = await withPostgres(catalogDb, async client =>
          (
            await client.query(
              'SELECT entity_ref FROM refresh_state WHERE entity_ref = ANY($1)',
              [
                [
                  'component:default/vastai-integration',
                  'component:default/vastai-batch-worker',
                ],
              ],
            )
          ).rows.map(r => r.entity_ref),
        );
        expect(refs.sort()).toEqual([
          'component:default/vastai-batch-worker',
          'component:default/vastai-integration',
        ]);
      });
    }
  });
});
