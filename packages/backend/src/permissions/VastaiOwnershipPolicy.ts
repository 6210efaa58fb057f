import { UserInfoService } from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  PolicyDecision,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { vastaiIncidentWritePermissions } from '@internal/plugin-vastai-incident-common';

const writePermissionNames = new Set(
  vastaiIncidentWritePermissions.map(permission => permission.name),
);

/**
 * The portal's permission policy.
 *
 * Reading is open to every signed-in user, and so are the other plugins' permissions (Backstage's
 * usual defaults). The Vast.ai incident plugin's write permissions (manage incidents, run
 * remediations, rotate keys, send comms) are conditional: the catalog allows them only when the
 * user, or a group the user belongs to, owns the entity. Ownership is the catalog's own
 * `isEntityOwner` rule, so the catalog decides with the entity it holds, never the caller.
 */
export class VastaiOwnershipPolicy implements PermissionPolicy {
  constructor(private readonly deps: { userInfo: UserInfoService }) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!writePermissionNames.has(request.permission.name)) {
      return { result: AuthorizeResult.ALLOW };
    }
    // A write without a user (anonymous, or a service acting on its own) is never owner-approved.
    if (
      !user ||
      !isResourcePermission(request.permission, RESOURCE_TYPE_CATALOG_ENTITY)
    ) {
      return { result: AuthorizeResult.DENY };
    }
    const { ownershipEntityRefs } = await this.deps.userInfo.getUserInfo(
      user.credentials,
    );
    return createCatalogConditionalDecision(
      request.permission,
      catalogConditions.isEntityOwner({ claims: ownershipEntityRefs }),
    );
  }
}
