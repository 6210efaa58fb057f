import {
  vastaiIncidentLogsReadPermission,
  vastaiIncidentPermissions,
  vastaiIncidentReadPermission,
  vastaiIncidentWritePermissions,
} from '@vastai-incident/backstage-plugin-common';
import { catalogEntityDeletePermission } from '@backstage/plugin-catalog-common/alpha';
import { Permission } from '@backstage/plugin-permission-common';
import {
  PortalTestBackend,
  startPortalTestBackend,
} from '../testing/startPortalTestBackend';
import {
  SignedInUser,
  getJson,
  signInAsCatalogUser,
  signInAsGuest,
  waitForDemoCatalog,
} from '../testing/portalClient';

jest.setTimeout(120_000);

const INTEGRATION = 'component:default/vastai-integration';
const BATCH_WORKER = 'component:default/vastai-batch-worker';

/**
 * The policy as the whole portal applies it: real users signed in through the auth backend (their
 * groups resolved from the demo catalog), the permission backend with our policy module, and the
 * catalog deciding `isEntityOwner` on the entities it holds.
 */
describe('the ownership policy, through the real permission backend', () => {
  let backend: PortalTestBackend;
  let guest: SignedInUser;
  let grace: SignedInUser;
  let visitor: SignedInUser;

  /** POST /api/permission/authorize, as the frontend's permission API does. */
  async function authorize(
    user: SignedInUser,
    permission: Permission,
    resourceRef: string,
  ): Promise<string> {
    const res = await fetch(`${backend.baseUrl}/api/permission/authorize`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${user.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        items: [{ id: 'check', permission, resourceRef }],
      }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.items).toHaveLength(1);
    return body.items[0].result;
  }

  /** What a backend plugin gets from `coreServices.permissions` for the same user. */
  async function authorizeInBackend(
    user: SignedInUser,
    permission: Permission,
    resourceRef: string,
  ): Promise<string> {
    const { status, body } = await getJson(
      backend.baseUrl,
      `/api/permission-probe/${permission.name}/${encodeURIComponent(
        resourceRef,
      )}`,
      user.token,
    );
    expect(status).toBe(200);
    return body.result;
  }

  beforeAll(async () => {
    backend = await startPortalTestBackend({
      database: { client: 'better-sqlite3', connection: ':memory:' },
      withTestHelpers: true,
    });
    // Sign in only once the catalog knows the users' groups: they go into the tokens.
    await waitForDemoCatalog(
      backend.baseUrl,
      (
        await signInAsGuest(backend.baseUrl)
      ).token,
    );
    guest = await signInAsGuest(backend.baseUrl);
    grace = await signInAsCatalogUser(backend.baseUrl, 'user:default/grace');
    visitor = await signInAsCatalogUser(
      backend.baseUrl,
      'user:default/visitor',
    );
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it('signs the users in with the groups the catalog gives them', () => {
    expect(guest.ownershipEntityRefs).toContain('group:default/vastai-oncall');
    expect(grace.ownershipEntityRefs).toContain('group:default/gpu-batch');
    expect(visitor.ownershipEntityRefs).toEqual(['user:default/visitor']);
  });

  it.each(vastaiIncidentWritePermissions.map(p => [p.name, p]))(
    'allows the guest %s on the service its team owns, and denies it elsewhere',
    async (_name, permission) => {
      expect(await authorize(guest, permission, INTEGRATION)).toBe('ALLOW');
      expect(await authorize(guest, permission, BATCH_WORKER)).toBe('DENY');
    },
  );

  it.each(vastaiIncidentWritePermissions.map(p => [p.name, p]))(
    'gives %s to the owners of the other service too',
    async (_name, permission) => {
      expect(await authorize(grace, permission, BATCH_WORKER)).toBe('ALLOW');
      expect(await authorize(grace, permission, INTEGRATION)).toBe('DENY');
    },
  );

  it.each(vastaiIncidentWritePermissions.map(p => [p.name, p]))(
    'denies %s to a user who owns nothing',
    async (_name, permission) => {
      expect(await authorize(visitor, permission, INTEGRATION)).toBe('DENY');
      expect(await authorize(visitor, permission, BATCH_WORKER)).toBe('DENY');
    },
  );

  it('lets every signed-in user read incidents of every entity', async () => {
    for (const user of [guest, grace, visitor]) {
      for (const entity of [INTEGRATION, BATCH_WORKER]) {
        expect(
          await authorize(user, vastaiIncidentReadPermission, entity),
        ).toBe('ALLOW');
      }
    }
  });

  it('gives the logs permission to owners only, and reading triage to every signed-in user', async () => {
    const logs = vastaiIncidentLogsReadPermission;
    expect(await authorize(guest, logs, INTEGRATION)).toBe('ALLOW');
    expect(await authorize(guest, logs, BATCH_WORKER)).toBe('DENY');
    expect(await authorize(grace, logs, BATCH_WORKER)).toBe('ALLOW');
    expect(await authorize(grace, logs, INTEGRATION)).toBe('DENY');
    expect(await authorize(visitor, logs, INTEGRATION)).toBe('DENY');
    expect(await authorizeInBackend(visitor, logs, INTEGRATION)).toBe('DENY');
    expect(await authorizeInBackend(guest, logs, INTEGRATION)).toBe('ALLOW');

    // Through the plugin: logs refused to a non-owner before any upstream is asked; triage open.
    const logsPath = (name: string) =>
      `/api/vastai-incident/v1/entities/default/component/${name}/logs`;
    const refused = await getJson(
      backend.baseUrl,
      logsPath('vastai-batch-worker'),
      guest.token,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(
      '(needs vastai.incident.logs.read)',
    );
    expect(
      (
        await getJson(
          backend.baseUrl,
          logsPath('vastai-integration'),
          visitor.token,
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await getJson(
          backend.baseUrl,
          logsPath('vastai-integration'),
          guest.token,
        )
      ).status,
    ).not.toBe(403);
    const triage = await getJson(
      backend.baseUrl,
      '/api/vastai-incident/v1/entities/default/component/vastai-batch-worker/triage',
      visitor.token,
    );
    expect(triage.status).toBe(200);
  });

  it('registers every permission of the plugin with the permission integration', async () => {
    const { status, body } = await getJson(
      backend.baseUrl,
      '/api/vastai-incident/.well-known/backstage/permissions/metadata',
      guest.token,
    );
    expect(status).toBe(200);
    expect(body.permissions.map((p: Permission) => p.name).sort()).toEqual(
      vastaiIncidentPermissions.map(p => p.name).sort(),
    );
    expect(body.permissions).toContainEqual(
      expect.objectContaining({
        name: 'vastai.incident.logs.read',
        resourceType: 'catalog-entity',
      }),
    );
  });

  it('denies writes on an entity the catalog does not have', async () => {
    expect(
      await authorize(
        guest,
        vastaiIncidentWritePermissions[0],
        'component:default/does-not-exist',
      ),
    ).toBe('DENY');
  });

  it('keeps the other plugins on their defaults', async () => {
    expect(
      await authorize(visitor, catalogEntityDeletePermission, BATCH_WORKER),
    ).toBe('ALLOW');
  });

  it('gives backend plugins the same answers through the permissions service', async () => {
    const remediate = vastaiIncidentPermissions.find(
      p => p.name === 'vastai.remediation.execute',
    )!;
    expect(await authorizeInBackend(guest, remediate, INTEGRATION)).toBe(
      'ALLOW',
    );
    expect(await authorizeInBackend(guest, remediate, BATCH_WORKER)).toBe(
      'DENY',
    );
    expect(await authorizeInBackend(visitor, remediate, INTEGRATION)).toBe(
      'DENY',
    );
    expect(
      await authorizeInBackend(
        visitor,
        vastaiIncidentReadPermission,
        INTEGRATION,
      ),
    ).toBe('ALLOW');
  });
});
