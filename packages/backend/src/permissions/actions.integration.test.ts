import type { Server } from 'node:http';
import path from 'node:path';
import { createBackend } from '@backstage/backend-defaults';
import { HostDiscovery } from '@backstage/backend-defaults/discovery';
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConfigSources, FileConfigSource } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { startSandbox, type Sandbox } from '@internal/vastai-sandbox';
import { backendFeatures } from '../features';
import {
  SignedInUser,
  getJson,
  signInAsGuest,
  waitForDemoCatalog,
} from '../__testUtils__/portalClient';
import { repoRoot } from '../__testUtils__/startPortalTestBackend';

jest.setTimeout(180_000);

const API = '/api/vastai-incident/v1/entities/default/component';

/**
 * The same portal backend as `startPortalTestBackend` (createBackend(), every feature of
 * `backendFeatures`: real auth, permission backend with the demo policy, catalog with the demo
 * entities), on an ephemeral port, with the plugin and the Kubernetes cluster pointed at a sandbox
 * on ephemeral ports. Written out here because that helper takes no config overrides.
 */
async function startBackendAgainst(sandbox: Sandbox) {
  const appConfig = await ConfigSources.toConfig(
    FileConfigSource.create({ path: path.join(repoRoot, 'app-config.yaml') }),
  );
  const base = appConfig.get<JsonObject>();
  appConfig.close();
  const { urls } = sandbox;
  const overrides: JsonObject = {
    backend: {
      baseUrl: 'http://localhost:7007',
      listen: { port: 0 },
      database: { client: 'better-sqlite3', connection: ':memory:' },
    },
    auth: {
      providers: {
        guest: {
          userEntityRef: 'user:default/guest',
          dangerouslyAllowOutsideDevelopment: true,
        },
      },
    },
    catalog: {
      locations: [
        'examples/org.yaml',
        'examples/systems.yaml',
        'examples/components.yaml',
        'catalog-info.yaml',
      ].map(file => ({ type: 'file', target: path.join(repoRoot, file) })),
    },
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'sandbox',
              url: urls.kubernetes,
              authProvider: 'serviceAccount',
              serviceAccountToken: 'sandbox-token',
              skipMetricsLookup: true,
            },
          ],
        },
      ],
    },
    vastaiIncident: {
      actions: { cooldownSeconds: 0, verifyTimeoutSeconds: 15 },
      vendor: {
        apiBaseUrl: `${urls.vastApi}/api/v0`,
        status: { type: 'statuspage', url: urls.statusPage },
      },
      prometheus: { baseUrl: urls.prometheus ?? 'http://127.0.0.1:9' },
      integrations: {
        'vastai-integration': {
          healthUrl: `${urls.services['vastai-integration']}/health`,
          slack: {
            webhookUrl: `${urls.receivers}/slack/webhook/vastai-oncall`,
          },
          statuspage: { apiBaseUrl: `${urls.receivers}/statuspage/v1` },
        },
        'vastai-batch-worker': {
          healthUrl: `${urls.services['vastai-batch-worker']}/health`,
        },
      },
    },
  };
  const config = ConfigReader.fromConfigs([
    { data: base, context: 'app-config.yaml' },
    { data: overrides, context: 'test-overrides' },
  ]);

  let server: Server | undefined;
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
  for (const feature of backendFeatures) backend.add(feature);
  await backend.start();
  return {
    baseUrl: `http://localhost:${listeningPort()}`,
    stop: () => backend.stop(),
  };
}

describe('remediations through the real permission backend, demo policy and catalog', () => {
  let sandbox: Sandbox;
  let backend: { baseUrl: string; stop(): Promise<void> };
  let guest: SignedInUser;

  async function post(
    entity: string,
    actionId: string,
    body: JsonObject,
    idempotencyKey?: string,
  ) {
    const res = await fetch(
      `${backend.baseUrl}${API}/${entity}/actions/${actionId}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${guest.token}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: JSON.stringify(body),
      },
    );
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({
      scenario: 'rate-limited',
      prometheus: false,
      kube: { rolloutStepMs: 200 },
    });
    backend = await startBackendAgainst(sandbox);
    await waitForDemoCatalog(
      backend.baseUrl,
      (
        await signInAsGuest(backend.baseUrl)
      ).token,
    );
    guest = await signInAsGuest(backend.baseUrl);
  });

  afterAll(async () => {
    await backend?.stop();
    await sandbox?.stop();
  });

  it('denies the guest on vastai-batch-worker (403) with zero Kubernetes writes and zero vendor calls', async () => {
    const writesBefore = sandbox.kube.writes().length;
    const vendorBefore = sandbox.vastCalls();
    const attempts = [
      await post('vastai-batch-worker', 'queue-mode', { dryRun: true }),
      await post(
        'vastai-batch-worker',
        'queue-mode',
        { dryRun: false },
        'deny-1',
      ),
      await post(
        'vastai-batch-worker',
        'rollout-restart',
        { dryRun: false },
        'deny-2',
      ),
      await post(
        'vastai-batch-worker',
        'rotate-api-key',
        { dryRun: false },
        'deny-3',
      ),
    ];
    for (const attempt of attempts) {
      expect(attempt.status).toBe(403);
      expect(attempt.body.error.name).toBe('NotAllowedError');
    }
    expect(attempts[3].body.error.message).toContain('vastai.secret.rotate');
    expect(sandbox.kube.writes().slice(writesBefore)).toEqual([]);
    const vendorAfter = sandbox.vastCalls();
    // Nothing on behalf of the batch worker, and no key created or deleted by the operator.
    expect(
      vendorAfter.byIdentityAndEndpoint.operator?.[
        'POST /api/v0/auth/apikeys/'
      ] ?? 0,
    ).toBe(
      vendorBefore.byIdentityAndEndpoint.operator?.[
        'POST /api/v0/auth/apikeys/'
      ] ?? 0,
    );
    const calledByProduct = (stats: typeof vendorBefore) =>
      Object.entries(stats.byIdentityAndEndpoint.operator ?? {})
        .filter(([endpoint]) => endpoint.includes('apikeys'))
        .reduce((sum, [, n]) => sum + n, 0);
    expect(calledByProduct(vendorAfter)).toBe(calledByProduct(vendorBefore));
    expect(vendorAfter.byIdentity.operator ?? 0).toBe(
      vendorBefore.byIdentity.operator ?? 0,
    );

    // Each refusal is on record, as the guest's.
    const history = await getJson(
      backend.baseUrl,
      `${API}/vastai-batch-worker/actions/history`,
      guest.token,
    );
    expect(history.status).toBe(200);
    const denied = history.body.entries.filter(
      (e: any) => e.outcome === 'denied',
    );
    expect(denied).toHaveLength(4);
    expect(denied.every((e: any) => e.actor === 'user:default/guest')).toBe(
      true,
    );
  });

  it('lets the guest dry-run and run queue-mode on vastai-integration (2xx), and follows the run', async () => {
    const writesBefore = sandbox.kube.writes().length;
    const dry = await post('vastai-integration', 'queue-mode', {
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.status).toBe('dry-run');
    const diffPaths = dry.body.diff.map(
      (line: any) => `${line.path} ${line.before}->${line.after}`,
    );
    expect(diffPaths.join('\n')).toMatch(/RATE_LIMIT_MODE.*->queue/);
    // A dry run only ever sends dry-run writes.
    expect(
      sandbox.kube
        .writes()
        .slice(writesBefore)
        .filter(w => !w.dryRun),
    ).toEqual([]);

    const applied = await post(
      'vastai-integration',
      'queue-mode',
      { dryRun: false },
      'allow-1',
    );
    expect([200, 202]).toContain(applied.status);
    expect(applied.body.actor).toBe('user:default/guest');
    const realWrites = sandbox.kube
      .writes()
      .slice(writesBefore)
      .filter(w => !w.dryRun && w.method === 'PATCH');
    expect(realWrites).toHaveLength(1);
    expect(realWrites[0]).toMatchObject({
      resource: 'deployments',
      name: 'vastai-integration',
    });

    // The run ends (verification has a 15 s deadline here) and is readable by its id.
    const deadline = Date.now() + 60_000;
    let run = applied.body;
    while (!['succeeded', 'unverified', 'failed'].includes(run.status)) {
      if (Date.now() > deadline)
        throw new Error(`run still ${run.status}/${run.phase}`);
      await new Promise(resolve => setTimeout(resolve, 500));
      const read = await getJson(
        backend.baseUrl,
        `${API}/vastai-integration/actions/runs/${applied.body.runId}`,
        guest.token,
      );
      expect(read.status).toBe(200);
      run = read.body;
    }
    expect(['succeeded', 'unverified']).toContain(run.status);
    expect(run.phase).toBe('done');

    // An Idempotency-Key replay returns the stored run and writes nothing more.
    const writesAfterRun = sandbox.kube.writes().length;
    const replay = await post(
      'vastai-integration',
      'queue-mode',
      { dryRun: false },
      'allow-1',
    );
    expect(replay.body.runId).toBe(applied.body.runId);
    expect(sandbox.kube.writes().length).toBe(writesAfterRun);
  });
});
