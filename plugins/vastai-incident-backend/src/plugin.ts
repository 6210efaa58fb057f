import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import Router from 'express-promise-router';
import { vastaiIncidentPermissions } from '@vastai-incident/backstage-plugin-common';
import { AccessAudit, AccessAuditStore } from './access/accessAudit';
import { EntityGate } from './access/entityGate';
import { ActionStore, ActionsService } from './actions';
import { ACTIONS_PATH, createActionsRouter } from './actions/router';
import { registerBackstageActions } from './backstageActions';
import { readConfig } from './config';
import { applyDatabaseMigrations } from './database/migrations';
import { databaseUnavailableErrors } from './database/retry';
import { vastaiIncidentUpstreamsExtensionPoint } from './extensions';
import {
  IncidentService,
  IncidentStore,
  incidentTimelineAuditHook,
} from './incidents';
import { scrubErrors } from './http/scrubErrors';
import { CatalogCommanderDirectory } from './incidents/commander';
import { createIncidentsRouter, INCIDENTS_PATH } from './incidents/router';
import { createRedactor } from './redact';
import { SignalService, UpstreamClients } from './signals';
import { createSignalsRouter } from './signals/router';

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
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        notifications: notificationService,
        actionsRegistry: actionsRegistryServiceRef,
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
        scheduler,
        catalog,
        notifications,
        actionsRegistry,
      }) {
        permissionsRegistry.addPermissions(vastaiIncidentPermissions);
        const settings = readConfig(config);
        const knex = await database.getClient();
        if (!database.migrations?.skip) await applyDatabaseMigrations(knex);

        const signals = new SignalService({
          config: settings.core,
          cache,
          logger,
          clients,
        });
        // An action's audit row and its incident timeline entry share a transaction (the hook),
        // and an evidence bundle holds the audit rows: actions first, then incidents.
        const actions = new ActionsService({
          config: settings.core,
          settings: settings.actions,
          store: new ActionStore(knex),
          logger,
          auditor,
          permissions,
          signals,
          onAudit: incidentTimelineAuditHook(
            createRedactor(settings.incidents.secrets),
          ),
        });
        const incidents = new IncidentService({
          store: new IncidentStore(knex, settings.incidents.businessHours),
          logger,
          config: settings.incidents,
          signals,
          notifications,
          auditRows: ref => actions.history(ref, 500),
          appBaseUrl: config.getOptionalString('app.baseUrl'),
          commanders: new CatalogCommanderDirectory({ catalog, logger }),
        });
        lifecycle.addShutdownHook(() => actions.idle());
        // Every replica looks for runs whose replica died (their lease ran out) and for expired
        // approvals; the database decides which replica ends each one.
        await scheduler.scheduleTask({
          id: 'vastai-incident-actions-sweep',
          scope: 'local',
          frequency: { milliseconds: settings.actions.sweepIntervalMs },
          timeout: { minutes: 2 },
          fn: async () => {
            await actions.sweep();
          },
        });

        const gate = new EntityGate({
          httpAuth,
          permissions,
          catalog,
          integrations: settings.core.integrations,
          audit: new AccessAudit({
            store: new AccessAuditStore(knex),
            auditor,
            logger,
          }),
          lookupTtlMs: Math.min(settings.core.cacheTtlMs, 5000),
        });
        // Each router sees only its own paths, so each parses only its own bodies, with its own
        // limit (the actions' refusals never quote a body: it may hold a pasted key).
        const router = Router();
        router.use(
          INCIDENTS_PATH,
          createIncidentsRouter({ gate, incidents, auditor }),
        );
        router.use(ACTIONS_PATH, createActionsRouter({ gate, actions }));
        router.use(
          createSignalsRouter({
            logger,
            gate,
            signals,
            onTriage: report =>
              incidents.noteTriageSeverity(report.entityRef, report.severity),
          }),
        );
        // A lost database connection, or a 5xx of another portal service, that reached the
        // router unretried: a 503 that says which.
        router.use(databaseUnavailableErrors());
        router.use(scrubErrors(createRedactor(settings.incidents.secrets)));
        httpRouter.use(router);
        // The same gate and services as the routes, for AI assistants (MCP actions backend).
        registerBackstageActions({
          registry: actionsRegistry,
          gate,
          signals,
          actions,
          incidents,
          settings: settings.mcp,
          auditor,
          logger,
          redact: createRedactor(settings.incidents.secrets),
          onTriage: report =>
            incidents.noteTriageSeverity(report.entityRef, report.severity),
        });
        logger.info(
          `Vast.ai incident plugin ready: ${settings.core.integrations.size} integration(s) configured`,
        );
      },
    });
  },
});
