import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  vastaiIncidentLogsReadPermission,
  vastaiIncidentPermissions,
  vastaiIncidentWritePermissions,
  vastaiIncidentReadPermission,
} from './permissions';

describe('permissions', () => {
  it('are the six of the contract, each on catalog entities', () => {
    expect(vastaiIncidentPermissions.map(p => p.name).sort()).toEqual([
      'vastai.comms.send',
      'vastai.incident.logs.read',
      'vastai.incident.manage',
      'vastai.incident.read',
      'vastai.remediation.execute',
      'vastai.secret.rotate',
    ]);
    for (const p of vastaiIncidentPermissions) {
      expect(isResourcePermission(p, 'catalog-entity')).toBe(true);
    }
  });

  it('count every permission but the two reads as a write', () => {
    expect(vastaiIncidentWritePermissions).toHaveLength(4);
    expect(vastaiIncidentWritePermissions).not.toContain(
      vastaiIncidentReadPermission,
    );
    expect(vastaiIncidentWritePermissions).not.toContain(
      vastaiIncidentLogsReadPermission,
    );
    for (const p of vastaiIncidentWritePermissions) {
      expect(p.attributes.action).not.toBe('read');
    }
  });

  it('give logs, evidence and timeline contents a read permission of their own', () => {
    expect(vastaiIncidentLogsReadPermission).toMatchObject({
      name: 'vastai.incident.logs.read',
      attributes: { action: 'read' },
      resourceType: 'catalog-entity',
    });
    expect(vastaiIncidentPermissions).toContain(
      vastaiIncidentLogsReadPermission,
    );
  });
});
