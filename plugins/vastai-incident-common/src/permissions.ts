import {
  createPermission,
  PermissionAttributes,
} from '@backstage/plugin-permission-common';

/** The resource type every Vast.ai incident permission is checked against. */
export const VASTAI_RESOURCE_TYPE = 'catalog-entity';

/** A permission checked on one catalog entity, so policies can use the catalog's rules on it. */
function entityPermission(
  name: string,
  action: NonNullable<PermissionAttributes['action']>,
) {
  return createPermission({
    name,
    attributes: { action },
    resourceType: VASTAI_RESOURCE_TYPE,
  });
}

/** Read triage, signals, metrics, pods, incidents and action history of an entity. */
export const vastaiIncidentReadPermission = entityPermission(
  'vastai.incident.read',
  'read',
);

/**
 * Read what can hold customer or internal data: the pods' log lines, evidence bundles (list,
 * build, download), the contents of the incident timeline (notes, action reasons, messages) and
 * the postmortem drawn from it. A policy can give it to the entity's owners alone
 * (`isEntityOwner`).
 */
export const vastaiIncidentLogsReadPermission = entityPermission(
  'vastai.incident.logs.read',
  'read',
);

/** Declare, update and resolve incidents; build evidence; edit postmortems. */
export const vastaiIncidentManagePermission = entityPermission(
  'vastai.incident.manage',
  'update',
);

/** Run remediations (fallback, queue mode, restart and their reverts). */
export const vastaiRemediationExecutePermission = entityPermission(
  'vastai.remediation.execute',
  'update',
);

/** Rotate the integration's Vast.ai API key. */
export const vastaiSecretRotatePermission = entityPermission(
  'vastai.secret.rotate',
  'update',
);

/** Send Slack and status-page messages. */
export const vastaiCommsSendPermission = entityPermission(
  'vastai.comms.send',
  'create',
);

/** Every permission of the plugin, for registration with the permissions registry. */
export const vastaiIncidentPermissions = [
  vastaiIncidentReadPermission,
  vastaiIncidentLogsReadPermission,
  vastaiIncidentManagePermission,
  vastaiRemediationExecutePermission,
  vastaiSecretRotatePermission,
  vastaiCommsSendPermission,
];

/** Permissions that change something: the demo policy gives them to entity owners only. */
export const vastaiIncidentWritePermissions = [
  vastaiIncidentManagePermission,
  vastaiRemediationExecutePermission,
  vastaiSecretRotatePermission,
  vastaiCommsSendPermission,
];
