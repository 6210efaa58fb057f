import { createPermission } from '@backstage/plugin-permission-common';

/** The resource type every Vast.ai incident permission is checked against. */
export const VASTAI_RESOURCE_TYPE = 'catalog-entity';

/** Read triage, signals, metrics, pods, incidents and action history of an entity. */
export const vastaiIncidentReadPermission = createPermission({
  name: 'vastai.incident.read',
  attributes: { action: 'read' },
  resourceType: VASTAI_RESOURCE_TYPE,
});

/**
 * Read what can hold customer or internal data: the pods' log lines, evidence bundles (list,
 * build, download), the contents of the incident timeline (notes, action reasons, messages) and
 * the postmortem drawn from it. A policy can give it to the entity's owners alone
 * (`isEntityOwner`).
 */
export const vastaiIncidentLogsReadPermission = createPermission({
  name: 'vastai.incident.logs.read',
  attributes: { action: 'read' },
  resourceType: VASTAI_RESOURCE_TYPE,
});

/** Declare, update and resolve incidents; build evidence; edit postmortems. */
export const vastaiIncidentManagePermission = createPermission({
  name: 'vastai.incident.manage',
  attributes: { action: 'update' },
  resourceType: VASTAI_RESOURCE_TYPE,
});

/** Run remediations (fallback, queue mode, restart and their reverts). */
export const vastaiRemediationExecutePermission = createPermission({
  name: 'vastai.remediation.execute',
  attributes: { action: 'update' },
  resourceType: VASTAI_RESOURCE_TYPE,
});

/** Rotate the integration's Vast.ai API key. */
export const vastaiSecretRotatePermission = createPermission({
  name: 'vastai.secret.rotate',
  attributes: { action: 'update' },
  resourceType: VASTAI_RESOURCE_TYPE,
});

/** Send Slack and status-page messages. */
export const vastaiCommsSendPermission = createPermission({
  name: 'vastai.comms.send',
  attributes: { action: 'create' },
  resourceType: VASTAI_RESOURCE_TYPE,
});

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
