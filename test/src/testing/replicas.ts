/*
 * Two real backend processes (packages/backend, started as `npm run start:replicas` starts them)
 * on PostgreSQL and Redis, with the sandbox in this process on its default ports. Each run gets
 * fresh databases (a prefix of its own, dropped first) and a Redis namespace of its own.
 * `kill(i)` is a `kill -9` of the whole process group of replica i; `restart(i)` starts it again.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import {
  DEFAULT_BASE_PORT,
  portsFromBase,
  ScenarioName,
  startSandbox,
} from '@internal/vastai-sandbox';
import { eventually } from '@internal/vastai-sandbox/testing';
import { REPO_ROOT } from './stack';

export const REPLICA_PORTS = [7007, 7008] as const;
export const DATABASE_PREFIX = 'vastai_replicas_test_';
/** The demo entity the replica tests act on (owned by the guest's group). */
export const DEMO_ENTITY_PATH =
  '/api/vastai-incident/v1/entities/default/component/vastai-integration';

/** A PostgreSQL server (trust or password `postgres` for the user `postgres`). */
export interface PostgresServer {
  host: string;
  port: number;
}
/** The machine's PostgreSQL, which the replicas use unless told otherwise. */
const MACHINE_POSTGRES: PostgresServer = { host: '127.0.0.1', port: 5432 };

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

export interface ReplicaSettings {
  /** vastaiIncident.actions.runLeaseSeconds on both replicas. */
  runLeaseSeconds: number;
  sweepIntervalSeconds: number;
  verifyPollSeconds: number;
}

export interface Replicas {
  sandbox: Sandbox;
  urls: string[];
  settings: ReplicaSettings;
  /** `kill -9` of replica i (0 or 1) and its children. */
  kill(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  alive(i: number): boolean;
  guestToken(): Promise<string>;
  /** POST an action (not a dry run) on the demo entity to replica i, as the guest. */
  postAction(
    replica: number,
    actionId: string,
    idempotencyKey: string,
  ): Promise<{ status: number; body: any }>;
  /** A call on the sandbox's control API; its JSON answer. */
  control(method: string, route: string, body?: unknown): Promise<any>;
  /** Waits until both replicas' catalogs hold the demo entity. */
  waitForEntity(): Promise<void>;
  /** The last output (stdout and stderr, about 20 kB) of replica i. */
  logs(i: number): string;
  /** A query on the plugin's database (the runs, the audit, the timeline). */
  query(sql: string, params?: unknown[]): Promise<any[]>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function pgClient(server: PostgresServer, database = 'postgres') {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Client } = require('pg');
  const client = new Client({
    connectionString: `postgresql://postgres@${server.host}:${server.port}/${database}`,
  });
  await client.connect();
  return client;
}

/** Drops the databases a previous run left (every one named with the test prefix). */
async function dropTestDatabases(server: PostgresServer) {
  const client = await pgClient(server);
  try {
    const { rows } = await client.query(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${DATABASE_PREFIX}%`],
    );
    for (const { datname } of rows)
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function startReplicas(
  opts: {
    scenario?: ScenarioName;
    settings?: Partial<ReplicaSettings>;
    /** Pace of the simulated rollouts (a wider window to act during one). */
    rolloutStepMs?: number;
    /** Start the sandbox's real Prometheus on its default port (off by default). */
    prometheus?: boolean;
    /** Config files layered after app-config.replicas.yaml on both replicas. */
    extraConfig?: string[];
    /** Extra environment for both replicas, applied last (it wins over the settings above). */
    env?: Record<string, string>;
    /**
     * Redis URL of both replicas' Backstage cache (default the machine's, 127.0.0.1:6379): a
     * test that stops Redis gives the replicas a private server of its own.
     */
    cacheUrl?: string;
    /**
     * The PostgreSQL server of both replicas and of `query()` (default the machine's,
     * 127.0.0.1:5432): a test that restarts PostgreSQL gives the replicas a private server.
     */
    database?: PostgresServer;
    /** Every chunk of output of replica i, as it comes (`logs(i)` keeps only the last 20 kB). */
    onLog?: (replica: number, chunk: string) => void;
  } = {},
): Promise<Replicas> {
  const settings: ReplicaSettings = {
    runLeaseSeconds: 6,
    sweepIntervalSeconds: 1,
    verifyPollSeconds: 3,
    ...opts.settings,
  };
  const database = opts.database ?? MACHINE_POSTGRES;
  await dropTestDatabases(database);
  const sandbox = await startSandbox({
    scenario: opts.scenario ?? 'healthy',
    ports: portsFromBase(DEFAULT_BASE_PORT),
    prometheus: opts.prometheus ?? false,
    kube: { rolloutStepMs: opts.rolloutStepMs ?? 1500 },
  });
  const namespace = `vastai-replicas-test-${process.pid}-${Date.now()}`;
  const children: Array<ChildProcess | undefined> = [undefined, undefined];
  const logs = ['', ''];

  const spawnReplica = async (i: number) => {
    const port = REPLICA_PORTS[i];
    const child = spawn(
      'npx',
      [
        'backstage-cli',
        'package',
        'start',
        '--config',
        path.join(REPO_ROOT, 'app-config.yaml'),
        '--config',
        path.join(REPO_ROOT, 'app-config.replicas.yaml'),
        ...(opts.extraConfig ?? []).flatMap(file => ['--config', file]),
      ],
      {
        cwd: path.join(REPO_ROOT, 'packages/backend'),
        env: {
          ...process.env,
          NODE_ENV: 'development',
          APP_CONFIG_backend_listen_port: String(port),
          APP_CONFIG_backend_baseUrl: `http://localhost:${port}`,
          REPLICAS_DATABASE_PREFIX: DATABASE_PREFIX,
          REPLICAS_CACHE_NAMESPACE: namespace,
          ...(opts.cacheUrl ? { REDIS_URL: opts.cacheUrl } : {}),
          ...(opts.database
            ? {
                POSTGRES_HOST: database.host,
                POSTGRES_PORT: String(database.port),
              }
            : {}),
          APP_CONFIG_vastaiIncident_cacheTtlSeconds: '2',
          APP_CONFIG_vastaiIncident_vendor_probeMinIntervalSeconds: '1',
          APP_CONFIG_vastaiIncident_actions_cooldownSeconds: '0',
          APP_CONFIG_vastaiIncident_actions_verifyTimeoutSeconds: '90',
          APP_CONFIG_vastaiIncident_actions_verifyPollSeconds: String(
            settings.verifyPollSeconds,
          ),
          APP_CONFIG_vastaiIncident_actions_runLeaseSeconds: String(
            settings.runLeaseSeconds,
          ),
          APP_CONFIG_vastaiIncident_actions_sweepIntervalSeconds: String(
            settings.sweepIntervalSeconds,
          ),
          ...opts.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    logs[i] = '';
    const keep = (chunk: Buffer) => {
      logs[i] = (logs[i] + chunk.toString()).slice(-20000);
      opts.onLog?.(i, chunk.toString());
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children[i] = child;
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`replica ${i} exited:\n${logs[i]}`);
          const res = await fetch(
            `http://127.0.0.1:${port}/.backstage/health/v1/readiness`,
            { signal: AbortSignal.timeout(2000) },
          ).catch(() => undefined);
          return res?.ok ?? false;
        },
        {
          what: `replica ${i} (port ${port}) to be ready`,
          accept: ok => ok,
          timeoutMs: 240_000,
          intervalMs: 500,
        },
      );
    } catch (e) {
      throw new Error(`${e}\n${logs[i]}`);
    }
  };

  const kill = async (i: number) => {
    const child = children[i];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      return;
    }
    for (
      let n = 0;
      n < 100 && child.exitCode === null && !child.signalCode;
      n++
    )
      await sleep(50);
  };

  try {
    // One after the other: two backends migrating one fresh database at once collide.
    await spawnReplica(0);
    await spawnReplica(1);
  } catch (e) {
    await kill(0);
    await kill(1);
    await sandbox.stop();
    throw e;
  }

  let token: string | undefined;
  const pluginDb = `${DATABASE_PREFIX}vastai-incident`;
  const handle: Replicas = {
    sandbox,
    urls: REPLICA_PORTS.map(p => `http://localhost:${p}`),
    settings,
    kill,
    restart: spawnReplica,
    logs: i => logs[i],
    alive: i => {
      const c = children[i];
      return !!c && c.exitCode === null && !c.signalCode;
    },
    async postAction(replica, actionId, idempotencyKey) {
      const res = await fetch(
        `${
          REPLICA_PORTS.map(p => `http://localhost:${p}`)[replica]
        }${DEMO_ENTITY_PATH}/actions/${actionId}`,
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${await handle.guestToken()}`,
            'Content-Type': 'application/json',
            'Idempotency-Key': idempotencyKey,
          },
          body: JSON.stringify({ dryRun: false }),
        },
      );
      const text = await res.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      return { status: res.status, body };
    },
    async control(method, route, body) {
      const res = await fetch(`${sandbox.urls.control}${route}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res.json() as Promise<any>;
    },
    async waitForEntity() {
      for (const port of REPLICA_PORTS) {
        await eventually(
          async () =>
            (
              await fetch(
                `http://localhost:${port}/api/catalog/entities/by-name/component/default/vastai-integration`,
                {
                  headers: {
                    Authorization: `Bearer ${await handle.guestToken()}`,
                  },
                },
              )
            ).status,
          {
            what: `the entity in the catalog of replica ${port}`,
            accept: status => status === 200,
            timeoutMs: 180_000,
            intervalMs: 1000,
          },
        );
      }
    },
    async guestToken() {
      if (token) return token;
      const url = REPLICA_PORTS.map(p => `http://localhost:${p}`);
      const body = await eventually(
        async () => {
          const res = await fetch(`${url[0]}/api/auth/guest/refresh`, {
            headers: { 'X-Requested-With': 'XMLHttpRequest' },
          });
          if (!res.ok) return undefined;
          return (await res.json()) as any;
        },
        {
          what: "the guest's token to carry group:default/vastai-oncall",
          accept: b =>
            !!b?.backstageIdentity?.identity?.ownershipEntityRefs?.includes(
              'group:default/vastai-oncall',
            ),
          timeoutMs: 180_000,
          intervalMs: 1_000,
        },
      );
      token = body.backstageIdentity.token as string;
      return token;
    },
    async query(sql, params = []) {
      const client = await pgClient(database, pluginDb);
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      await kill(0);
      await kill(1);
      await sandbox.stop();
    },
  };
  return handle;
}
