import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { vastaiIncidentPermissions } from '@vastai-incident/backstage-plugin-common';
import Router from 'express-promise-router';

/**
 * TESTS ONLY. A plugin that asks the permissions service about the caller, the way the Vast.ai
 * incident backend does before an action: `GET /api/permission-probe/:permission/:entityRef`
 * answers `{ result }`.
 */
export const permissionProbePluginForTests = createBackendPlugin({
  pluginId: 'permission-probe',
  register(reg) {
    reg.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
      },
      async init({ httpRouter, httpAuth, permissions }) {
        const router = Router();
        router.get('/:permission/:entityRef', async (req, res) => {
          const permission = vastaiIncidentPermissions.find(
            p => p.name === req.params.permission,
          );
          if (!permission) {
            throw new InputError(`unknown permission ${req.params.permission}`);
          }
          const credentials = await httpAuth.credentials(req, {
            allow: ['user'],
          });
          const [decision] = await permissions.authorize(
            [{ permission, resourceRef: req.params.entityRef }],
            { credentials },
          );
          res.json({ result: decision.result });
        });
        httpRouter.use(router);
      },
    });
  },
});
