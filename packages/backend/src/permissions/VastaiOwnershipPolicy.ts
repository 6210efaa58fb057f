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
import {
  vastaiIncidentLogsReadPermission,
  vastaiIncidentWritePermissions,
} from '@vastai-incident/backstage-plugin-common';

/** What only an entity's owners may do: every write, and reading logs and evidence. */
const ownerOnlyPermissionNames = new Set(
  [...vastaiIncidentWritePermissions, vastaiIncidentLogsReadPermission].map(
    permission => permission.name,
  ),
);

/**
 * The portal's permission policy.
 *
 * Triage, health and incidents are readable by every signed-in user, and the other plugins'
 * permissions keep Backstage's usual defaults. The Vast.ai incident plugin's write permissions
 * (manage incidents, run remediations, rotate keys, send comms) and its logs permission (log
 * lines, evidence bundles, the timeline's details, which can hold customer or internal data) are
 * conditional: the catalog allows them only when the user, or a group the user belongs to, owns
 * the entity. Ownership is the catalog's own `isEntityOwner` rule, so the catalog decides with the
 * entity it holds, never the caller.
 */
export class VastaiOwnershipPolicy implements PermissionPolicy {
  constructor(private readonly deps: { userInfo: UserInfoService }) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!ownerOnlyPermissionNames.has(request.permission.name)) {
      return { result: AuthorizeResult.ALLOW };
    }
    // Without a user (anonymous, or a service acting on its own) nothing is owner-approved.
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
