/**
 * Test kit for the incidents router (used by its *.test.ts files only): the router mounted at its
 * path as plugin.ts mounts it, with the real gate, config reader, database and access audit, a
 * mocked catalog and a recording auditor; no signals backend.
 */
import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import Router from 'express-promise-router';
import type { Knex } from 'knex';
import type { Server } from 'node:http';
import { AccessAudit, AccessAuditStore } from '../access/accessAudit';
import { EntityGate } from '../access/entityGate';
import { readVastaiIncidentConfig } from '../config';
import { applyDatabaseMigrations } from '../database/migrations';
import { readIncidentsConfig } from '../incidents/commsConfig';
import { createIncidentsRouter, INCIDENTS_PATH } from '../incidents/router';
import { IncidentService } from '../incidents/service';
import { IncidentStore } from '../incidents/store';
import { recordingAuditor } from './actionsTestKit';

export const INCIDENTS_API = '/api/vastai-incident/v1/incidents';

export const INTEGRATION = 'vastai-integration';
/** The entities bound to INTEGRATION; `intruder` names it in its annotation and is not. */
export const BOUND = [
  'component:default/vastai-integration',
  'component:default/batch-worker',
];
export const INTRUDER = 'component:default/intruder';
export const CONFIG = {
  vastaiIncident: { integrations: { [INTEGRATION]: { entities: BOUND } } },
};
export const BINDING_MISSING = `${INTRUDER} is not bound to integration "${INTEGRATION}": vastaiIncident.integrations.${INTEGRATION}.entities does not list it`;

export const entity = (name: string, integration = INTEGRATION): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'vast.ai/integration': integration },
  },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/team',
  },
});

/** Decides by permission name and entity; everything else allowed. */
export const permissionsWhere = (
  deny: (name: string, ref?: string) => boolean,
) =>
  createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => ({
      authorize: async (requests: any[]) =>
        requests.map(r => ({
          result: deny(r.permission.name, r.resourceRef)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
        })),
      authorizeConditional: async (requests: any[]) =>
        requests.map(() => ({ result: AuthorizeResult.ALLOW })),
    }),
  });

/** The incident service of the last backend started, for records kept from before a binding. */
let started: IncidentService;

/** The incidents router mounted at its path, as plugin.ts mounts it, without the signals backend. */
const incidentsPlugin = createBackendPlugin({
  pluginId: 'vastai-incident',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        database: coreServices.database,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const knex = await deps.database.getClient();
        await applyDatabaseMigrations(knex);
        const incidents = new IncidentService({
          store: new IncidentStore(knex),
          logger: deps.logger,
          config: readIncidentsConfig(deps.config),
        });
        started = incidents;
        const gate = new EntityGate({
          ...deps,
          integrations: readVastaiIncidentConfig(deps.config).integrations,
          audit: new AccessAudit({
            store: new AccessAuditStore(knex),
            auditor: deps.auditor,
            logger: deps.logger,
          }),
        });
        const router = Router();
        router.use(
          INCIDENTS_PATH,
          createIncidentsRouter({ gate, incidents, auditor: deps.auditor }),
        );
        deps.httpRouter.use(router);
      },
    });
  },
});

export interface IncidentsTestBackend {
  server: Server;
  knex: Knex;
  auditor: ReturnType<typeof recordingAuditor>;
  /** The backend's incident service, for records kept from before a binding. */
  incidents: IncidentService;
}

/** Starts the incidents router on a fresh database of `databases`; `extra` overrides services. */
export async function startIncidentsBackend(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
  extra: any[] = [],
): Promise<IncidentsTestBackend> {
  const knex: Knex = await databases.init(databaseId);
  const auditor = recordingAuditor();
  const { server } = await startTestBackend({
    features: [
      incidentsPlugin,
      mockServices.rootConfig.factory({ data: CONFIG }),
      mockServices.database.factory({ knex }),
      createServiceFactory({
        service: coreServices.auditor,
        deps: {},
        factory: () => auditor,
      }),
      catalogServiceMock.factory({
        entities: [
          entity('vastai-integration'),
          entity('batch-worker'),
          entity('intruder'),
          entity('long-annotation', 'x'.repeat(300)),
        ],
      }),
      ...extra,
    ],
  });
  return { server, knex, auditor, incidents: started };
}
