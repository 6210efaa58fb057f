import { ActionId } from '@vastai-incident/backstage-plugin-common';
import {
  vastaiRemediationExecutePermission,
  vastaiSecretRotatePermission,
} from '@vastai-incident/backstage-plugin-common';
import { usePermission } from '@backstage/plugin-permission-react';

export interface ActionGate {
  allowed: boolean;
  loading: boolean;
  /** Why the action cannot be run now, in words (shown next to the disabled button). */
  reason?: string;
}

/**
 * What the user may run on this entity. Only a hint for the buttons: the server checks the
 * same permission again on every request.
 */
export function useActionPermissions(
  entityRef: string,
): (actionId: ActionId) => ActionGate {
  const execute = usePermission({
    permission: vastaiRemediationExecutePermission,
    resourceRef: entityRef,
  });
  const rotate = usePermission({
    permission: vastaiSecretRotatePermission,
    resourceRef: entityRef,
  });
  return actionId => {
    const rotation = actionId === 'rotate-api-key';
    const decision = rotation ? rotate : execute;
    const permission = rotation
      ? vastaiSecretRotatePermission.name
      : vastaiRemediationExecutePermission.name;
    if (decision.loading) {
      return {
        allowed: false,
        loading: true,
        reason: 'Checking your permission…',
      };
    }
    if (decision.error) {
      return {
        allowed: false,
        loading: false,
        reason: `Could not check the ${permission} permission: ${decision.error.message}`,
      };
    }
    if (!decision.allowed) {
      return {
        allowed: false,
        loading: false,
        reason: `Not allowed: you need the ${permission} permission on this entity (its owners have it)`,
      };
    }
    return { allowed: true, loading: false };
  };
}
