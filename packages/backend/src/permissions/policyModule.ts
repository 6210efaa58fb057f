import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { VastaiOwnershipPolicy } from './VastaiOwnershipPolicy';

/** Installs {@link VastaiOwnershipPolicy} as the permission backend's policy. */
export const permissionModuleVastaiOwnershipPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'vastai-ownership-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        userInfo: coreServices.userInfo,
      },
      async init({ policy, userInfo }) {
        policy.setPolicy(new VastaiOwnershipPolicy({ userInfo }));
      },
    });
  },
});
