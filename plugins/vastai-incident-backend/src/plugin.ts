import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import Router from 'express-promise-router';
import { vastaiIncidentPermissions } from '@internal/plugin-vastai-incident-common';
import { createActionsRouter, createActionsService } from './actions';
import { readVastaiIncidentConfig } from './config';
import { createRedactor } from './redact';
import {
  createIncidentsRouter,
  IncidentService,
  IncidentStore,
  incidentTimelineAuditHook,
  readIncidentsConfig,
} from './incidents';
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
        database: coreServices.database,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init({
        logger,
        config,
        httpRouter,
        httpAuth,
        permissions,
        permissionsRegistry,
        cache,
        database,
        auditor,
        lifecycle,
        catalog,
        notifications,
      }) {
        permissionsRegistry.addPermissions(vastaiIncidentPermissions);
        const settings = readVastaiIncidentConfig(config);
        const signals = new SignalService({
          config: settings,
          cache,
          logger,
          clients,
        });
        // An action's audit row and its incident timeline entry share a transaction (the hook),
        // and an evidence bundle holds the audit rows: actions first, then incidents.
        const incidentsConfig = readIncidentsConfig(config);
        const actions = await createActionsService({
          logger,
          database,
          auditor,
          permissions,
          config,
          settings,
          signals,
          onAudit: incidentTimelineAuditHook(
            createRedactor(incidentsConfig.secrets),
          ),
        });
        const incidents = new IncidentService({
          store: await IncidentStore.create({ database }),
          logger,
          config: incidentsConfig,
          signals,
          notifications,
          auditRows: ref => actions.history(ref, 500),
          appBaseUrl: config.getOptionalString('app.baseUrl'),
        });
        lifecycle.addShutdownHook(() => actions.idle());
        const lastSeverity = new Map<string, string | null>();

        // Each router parses JSON bodies with its own limit and error wording (the actions' never
        // quote a body, which may hold a pasted key), so each sees only its own paths.
        const incidentsRouter = await createIncidentsRouter({
          logger,
          httpAuth,
          permissions,
          catalog,
          incidents,
          auditor,
        });
        const incidentsV1 = Router();
        incidentsV1.use('/v1', (req, res, next) =>
          req.path === '/incidents' || req.path.startsWith('/incidents/')
            ? incidentsRouter(req, res, next)
            : next(),
        );
        httpRouter.use(incidentsV1);
        httpRouter.use(
          createActionsRouter({ httpAuth, permissions, catalog, actions }),
        );
        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            catalog,
            signals,
            entityLookupTtlMs: Math.min(settings.cacheTtlMs, 5000),
            // Only changes reach the database: triage is served many times a second.
            onTriage: report => {
              if (lastSeverity.get(report.entityRef) === report.severity)
                return undefined;
              lastSeverity.set(report.entityRef, report.severity);
              return incidents.noteTriageSeverity(
                report.entityRef,
                report.severity,
              );
            },
          }),
        );
        logger.info(
          `Vast.ai incident plugin ready: ${settings.integrations.size} integration(s) configured`,
        );
      },
    });
  },
});
