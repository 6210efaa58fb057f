import { usePermission } from '@backstage/plugin-permission-react';
import { vastaiIncidentLogsReadPermission } from '@vastai-incident/backstage-plugin-common';

export interface ReadGate {
  allowed: boolean;
  loading: boolean;
  /** Why the section is not shown, in words (undefined while allowed or still checking). */
  reason?: string;
}

/**
 * Whether the user may read the entity's logs, evidence bundles and timeline details
 * (`vastai.incident.logs.read`). Only decides what the sections show: the server checks the
 * same permission again on every request.
 */
export function useLogsPermission(entityRef: string): ReadGate {
  const name = vastaiIncidentLogsReadPermission.name;
  const decision = usePermission({
    permission: vastaiIncidentLogsReadPermission,
    resourceRef: entityRef,
  });
  if (decision.loading) return { allowed: false, loading: true };
  if (decision.error) {
    return {
      allowed: false,
      loading: false,
      reason: `Could not check the ${name} permission: ${decision.error.message}`,
    };
  }
  if (!decision.allowed) {
    return {
      allowed: false,
      loading: false,
      reason: `Not allowed: you need the ${name} permission on this entity (its owners have it).`,
    };
  }
  return { allowed: true, loading: false };
}
