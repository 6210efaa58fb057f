import type { Server } from 'node:http';
import path from 'node:path';
import { createBackend } from '@backstage/backend-defaults';
import { HostDiscovery } from '@backstage/backend-defaults/discovery';
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import {
  coreServices,
  createServiceFactory,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConfigSources, FileConfigSource } from '@backstage/config-loader';
import { JsonObject } from '@backstage/types';
import { backendFeatures } from '../features';
import {
  TEST_SIGN_IN_PROVIDER_ID,
  authModuleCatalogUserSignInForTests,
} from './catalogUserSignInModule';
import { permissionProbePluginForTests } from './permissionProbePlugin';

/** The repository root (tests run from packages/backend, or from the root as jest projects). */
export const repoRoot = resolvePackagePath('backend', '../..');

export interface PortalTestBackendOptions {
  /**
   * `backend.database` for the run, e.g. a PostgreSQL server with a prefix; SQLite in memory by
   * default.
   */
  database?: JsonObject;
  /**
   * Also install the tests-only helpers: a sign-in provider for any catalog user, and a plugin
   * that reports what the permissions service decides for the caller.
   */
  withTestHelpers?: boolean;
  /**
   * Config layered over app-config.yaml and the test run's changes, e.g. the Kubernetes cluster
   * and the Vast.ai incident plugin pointed at a sandbox on ephemeral ports; several layers are
   * merged in order.
   */
  config?: JsonObject | JsonObject[];
}

export interface PortalTestBackend {
  /** Where the backend listens, e.g. http://localhost:41234. */
  baseUrl: string;
  stop(): Promise<void>;
}

/** The repo's own app-config.yaml, with the changes a test run needs layered on top. */
async function readTestConfig(options: PortalTestBackendOptions) {
  const appConfig = await ConfigSources.toConfig(
    FileConfigSource.create({ path: path.join(repoRoot, 'app-config.yaml') }),
  );
  const base = appConfig.get<JsonObject>();
  appConfig.close();

  const overrides: JsonObject = {
    backend: {
      baseUrl: 'http://localhost:7007',
      listen: { port: 0 },
      database: options.database ?? {
        client: 'better-sqlite3',
        connection: ':memory:',
      },
    },
    auth: {
      providers: {
        guest: {
          userEntityRef: 'user:default/guest',
          // Jest runs with NODE_ENV=test; `npm start` runs the backend with NODE_ENV=development.
          dangerouslyAllowOutsideDevelopment: true,
        },
        ...(options.withTestHelpers
          ? { [TEST_SIGN_IN_PROVIDER_ID]: { testsOnly: true } }
          : {}),
      },
    },
    catalog: {
      // The same files as app-config.yaml, made absolute: jest's cwd is not packages/backend.
      locations: [
        'examples/org.yaml',
        'examples/systems.yaml',
        'examples/components.yaml',
        'catalog-info.yaml',
      ].map(file => ({ type: 'file', target: path.join(repoRoot, file) })),
    },
  };
  const layers = [options.config ?? {}].flat();
  return ConfigReader.fromConfigs([
    { data: base, context: 'app-config.yaml' },
    { data: overrides, context: 'test-overrides' },
    ...layers.map((data, i) => ({ data, context: `test-config-${i}` })),
  ]);
}

/**
 * Starts the portal's backend exactly as `src/index.ts` does (`createBackend()` from
 * backend-defaults, every feature of `backendFeatures`, the real auth, permission, database and
 * HTTP services), on an ephemeral port. Only the config source, the port and discovery (which
 * must know the port) and the log level differ; `options.config` adds to the config.
 *
 * Not `startTestBackend`: backend-test-utils 1.11.7 ships backend-defaults 0.18 services, whose
 * http router lacks `addWebSocketHandler`, which signals-backend 0.3.21 needs.
 */
export async function startPortalTestBackend(
  options: PortalTestBackendOptions = {},
): Promise<PortalTestBackend> {
  const config = await readTestConfig(options);
  let server: Server | undefined;
  // the root router starts the server before it is handed out, so the port is known after that
  const listeningPort = () => {
    const address = server?.address();
    if (!address || typeof address === 'string') {
      throw new Error('the test backend is not listening on a TCP port');
    }
    return address.port;
  };

  const backend = createBackend();
  backend.add(
    createServiceFactory({
      service: coreServices.rootConfig,
      deps: {},
      factory: () => config,
    }),
  );
  backend.add(mockServices.rootLogger.factory({ level: 'warn' }));
  backend.add(
    rootHttpRouterServiceFactory({
      configure(context) {
        server = context.server;
        context.applyDefaults();
      },
    }),
  );
  backend.add(
    createServiceFactory({
      service: coreServices.discovery,
      deps: { rootHttpRouter: coreServices.rootHttpRouter },
      factory() {
        const port = listeningPort();
        return HostDiscovery.fromConfig(
          new ConfigReader({
            backend: { baseUrl: `http://localhost:${port}`, listen: { port } },
          }),
        );
      },
    }),
  );
  for (const feature of backendFeatures) {
    backend.add(feature);
  }
  if (options.withTestHelpers) {
    backend.add(authModuleCatalogUserSignInForTests);
    backend.add(permissionProbePluginForTests);
  }
  await backend.start();
  return {
    baseUrl: `http://localhost:${listeningPort()}`,
    stop: () => backend.stop(),
  };
}
