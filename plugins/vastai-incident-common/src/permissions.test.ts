import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  vastaiIncidentPermissions,
  vastaiIncidentWritePermissions,
  vastaiIncidentReadPermission,
} from './permissions';

describe('permissions', () => {
  it('are the five of the contract, each on catalog entities', () => {
    expect(vastaiIncidentPermissions.map(p => p.name).sort()).toEqual([
      'vastai.comms.send',
      'vastai.incident.manage',
      'vastai.incident.read',
      'vastai.remediation.execute',
      'vastai.secret.rotate',
    ]);
    for (const p of vastaiIncidentPermissions) {
      expect(isResourcePermission(p, 'catalog-entity')).toBe(true);
    }
  });

  it('count every permission but read as a write', () => {
    expect(vastaiIncidentWritePermissions).toHaveLength(4);
    expect(vastaiIncidentWritePermissions).not.toContain(
      vastaiIncidentReadPermission,
    );
    for (const p of vastaiIncidentWritePermissions) {
      expect(p.attributes.action).not.toBe('read');
    }
  });
});
