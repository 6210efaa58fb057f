import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  vastaiIncidentLogsReadPermission,
  vastaiIncidentReadPermission,
  vastaiIncidentWritePermissions,
} from '@vastai-incident/backstage-plugin-common';
import { VastaiOwnershipPolicy } from './VastaiOwnershipPolicy';

describe('VastaiOwnershipPolicy', () => {
  const ownershipEntityRefs = [
    'user:default/ada',
    'group:default/vastai-oncall',
  ];
  const policy = new VastaiOwnershipPolicy({
    userInfo: mockServices.userInfo({ ownershipEntityRefs }),
  });
  const user = { credentials: mockCredentials.user('user:default/ada') } as any;
  const ownerOnly = [
    ...vastaiIncidentWritePermissions,
    vastaiIncidentLogsReadPermission,
  ].map(p => [p.name, p] as const);

  it.each(ownerOnly)(
    'makes %s conditional on the catalog owning rule, with the user’s claims',
    async (_name, permission) => {
      expect(await policy.handle({ permission }, user)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: ownershipEntityRefs },
        },
      });
    },
  );

  it.each(ownerOnly)(
    'denies %s when there is no user',
    async (_name, permission) => {
      expect(await policy.handle({ permission })).toEqual({
        result: AuthorizeResult.DENY,
      });
    },
  );

  it.each(
    [
      vastaiIncidentReadPermission,
      catalogEntityReadPermission,
      catalogEntityDeletePermission,
      createPermission({ name: 'some.other.plugin', attributes: {} }),
    ].map(p => [p.name, p]),
  )('allows %s', async (_name, permission) => {
    expect(await policy.handle({ permission }, user)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });
});
