import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { vastaiIncidentPermissions } from '@internal/plugin-vastai-incident-common';
import { readVastaiIncidentConfig } from './config';
import { vastaiIncidentUpstreamsExtensionPoint } from './extensions';
import { createRouter } from './router';
import { SignalService, UpstreamClients } from './service';

/**
 * The Vast.ai incident backend plugin (pluginId `vastai-incident`). Starts from config alone;
 * a module can replace the upstream clients through `vastaiIncidentUpstreamsExtensionPoint`.
 */
export const vastaiIncidentPlugin = createBackendPlugin({
  pluginId: 'vastai-incident',
  register(env) {
    let clients: UpstreamClients = {};
    env.registerExtensionPoint(vastaiIncidentUpstreamsExtensionPoint, {
      setUpstreamClients(next) {
        clients = { ...clients, ...next };
      },
    });

    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        cache: coreServices.cache,
        catalog: catalogServiceRef,
      },
      async init({
        logger,
        config,
        httpRouter,
        httpAuth,
        permissions,
        permissionsRegistry,
        cache,
        catalog,
      }) {
        permissionsRegistry.addPermissions(vastaiIncidentPermissions);
        const settings = readVastaiIncidentConfig(config);
        const signals = new SignalService({
          config: settings,
          cache,
          logger,
          clients,
        });
        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            catalog,
            signals,
            entityLookupTtlMs: Math.min(settings.cacheTtlMs, 5000),
          }),
        );
        logger.info(
          `Vast.ai incident plugin ready: ${settings.integrations.size} integration(s) configured`,
        );
      },
    });
  },
});
