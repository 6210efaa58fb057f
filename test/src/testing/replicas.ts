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
const POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';

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
  /** A query on the plugin's database (the runs, the audit, the timeline). */
  query(sql: string, params?: unknown[]): Promise<any[]>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function pgClient(database = 'postgres') {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Client } = require('pg');
  const client = new Client({
    connectionString: POSTGRES.replace(/\/postgres$/, `/${database}`),
  });
  await client.connect();
  return client;
}

/** Drops the databases a previous run left (every one named with the test prefix). */
async function dropTestDatabases() {
  const client = await pgClient();
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
  } = {},
): Promise<Replicas> {
  const settings: ReplicaSettings = {
    runLeaseSeconds: 6,
    sweepIntervalSeconds: 1,
    verifyPollSeconds: 3,
    ...opts.settings,
  };
  await dropTestDatabases();
  const sandbox = await startSandbox({
    scenario: opts.scenario ?? 'healthy',
    ports: portsFromBase(DEFAULT_BASE_PORT),
    prometheus: false,
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
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    logs[i] = '';
    const keep = (chunk: Buffer) => {
      logs[i] = (logs[i] + chunk.toString()).slice(-20000);
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
  return {
    sandbox,
    urls: REPLICA_PORTS.map(p => `http://localhost:${p}`),
    settings,
    kill,
    restart: spawnReplica,
    alive: i => {
      const c = children[i];
      return !!c && c.exitCode === null && !c.signalCode;
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
      const client = await pgClient(pluginDb);
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
}
