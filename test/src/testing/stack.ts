/*
 * Starts the whole product for acceptance, browser and benchmark runs: the sandbox (in this
 * process, on its default ports, which app-config.yaml points at), the Backstage backend (a child
 * process on 7007) and, when asked, the built app served by the backend's app-backend.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_BASE_PORT,
  portsFromBase,
  ScenarioName,
  startSandbox,
} from '@internal/vastai-sandbox';
import { eventually } from '@internal/vastai-sandbox/testing';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const BACKEND_URL = 'http://localhost:7007';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

export interface Stack {
  appUrl: string;
  backendUrl: string;
  sandboxControlUrl: string;
  sandbox: Sandbox;
  setScenario(name: string): Promise<void>;
  /** A Backstage token of the guest user, for API calls. */
  guestToken(): Promise<string>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Serve the built app (building it first when packages/app/dist is missing). */
  app?: boolean;
  scenario?: string;
  /** Extra config files layered after app-config.yaml and test/app-config.test.yaml. */
  extraConfig?: string[];
  /** Extra environment for the backend process. */
  env?: Record<string, string>;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Builds packages/app once; later runs reuse dist unless VASTAI_REBUILD_APP=1. */
export function ensureAppBuilt(): void {
  const dist = path.join(REPO_ROOT, 'packages/app/dist/index.html');
  if (fs.existsSync(dist) && process.env.VASTAI_REBUILD_APP !== '1') return;
  const started = Date.now();
  const result = spawnSync('npx', ['backstage-cli', 'package', 'build'], {
    cwd: path.join(REPO_ROOT, 'packages/app'),
    stdio: 'inherit',
    // Jest sets NODE_ENV=test, which the bundler's browserslist lookup does not know.
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NODE_OPTIONS: '--max-old-space-size=6144',
    },
  });
  if (result.status !== 0) {
    throw new Error(`building packages/app failed (exit ${result.status})`);
  }
  process.stdout.write(
    `app built in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

/** SIGTERM to a detached child's process group, SIGKILL after 5 s if it is still there. */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && child.exitCode === null; i++) await sleep(100);
  if (child.exitCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Waits for the backend's readiness route; fails at once, with its output, if it exits first. */
async function waitForReady(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
) {
  let state: 'starting' | 'ready' | 'exited';
  try {
    state = await eventually<typeof state>(
      async () => {
        if (child.exitCode !== null) return 'exited';
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        return res.ok ? 'ready' : 'starting';
      },
      {
        what: 'the backend to be ready',
        accept: s => s !== 'starting',
        timeoutMs,
        intervalMs: 500,
      },
    );
  } catch (e) {
    throw new Error(`${e}:\n${output()}`);
  }
  if (state === 'exited') {
    throw new Error(
      `backend exited with ${child.exitCode} before it was ready:\n${output()}`,
    );
  }
}

async function assertPortFree(port: number) {
  try {
    await fetch(`http://127.0.0.1:${port}/`, {
      signal: AbortSignal.timeout(1000),
    });
  } catch {
    return;
  }
  throw new Error(
    `port ${port} is already in use: stop the running backend (npm start) before the acceptance tests`,
  );
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  await assertPortFree(7007);
  if (opts.app) ensureAppBuilt();

  // The default ports: app-config.yaml points the backend at them.
  const sandbox = await startSandbox({
    scenario: (opts.scenario ?? 'healthy') as ScenarioName,
    ports: portsFromBase(DEFAULT_BASE_PORT),
    prometheus: 'required',
  });

  const configs = [
    path.join(REPO_ROOT, 'app-config.yaml'),
    path.join(REPO_ROOT, 'test/app-config.test.yaml'),
    ...(opts.extraConfig ?? []),
  ];
  const args = ['backstage-cli', 'package', 'start'];
  for (const c of configs) args.push('--config', c);

  let log = '';
  const child = spawn('npx', args, {
    cwd: path.join(REPO_ROOT, 'packages/backend'),
    env: { ...process.env, NODE_ENV: 'development', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const stopBackend = () => stopProcessGroup(child);

  try {
    await waitForReady(
      `${BACKEND_URL}/.backstage/health/v1/readiness`,
      child,
      () => log,
      240_000,
    );
  } catch (e) {
    await stopBackend();
    await sandbox.stop();
    throw e;
  }

  let token: string | undefined;
  return {
    appUrl: BACKEND_URL,
    backendUrl: BACKEND_URL,
    sandboxControlUrl: sandbox.urls.control,
    sandbox,
    async setScenario(name: string) {
      await sandbox.setScenario(name);
    },
    async guestToken() {
      if (token) return token;
      // The guest's groups come from the catalog: on a fresh database the token carries them only
      // once the catalog has ingested examples/org.yaml, so wait for the ownership claim.
      const body = await eventually(
        async () => {
          const res = await fetch(`${BACKEND_URL}/api/auth/guest/refresh`, {
            headers: { 'X-Requested-With': 'XMLHttpRequest' },
          });
          if (!res.ok) return undefined;
          return (await res.json()) as {
            backstageIdentity: {
              token: string;
              identity: { ownershipEntityRefs: string[] };
            };
          };
        },
        {
          what: "the guest's token to carry group:default/vastai-oncall",
          accept: b =>
            !!b?.backstageIdentity.identity.ownershipEntityRefs.includes(
              'group:default/vastai-oncall',
            ),
          timeoutMs: 120_000,
          intervalMs: 1_000,
        },
      );
      token = body!.backstageIdentity.token;
      return token;
    },
    async stop() {
      await stopBackend();
      await sandbox.stop();
    },
  };
}

/** GET a backend route as the guest user. */
export async function getAsGuest(
  stack: Stack,
  route: string,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${stack.backendUrl}${route}`, {
    headers: { Authorization: `Bearer ${await stack.guestToken()}` },
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Waits until the catalog of a fresh backend has ingested the named demo components. */
export async function waitForComponents(
  stack: Stack,
  names: string[],
  timeoutMs = 240_000,
): Promise<void> {
  for (const name of names) {
    await eventually(
      () =>
        getAsGuest(
          stack,
          `/api/catalog/entities/by-name/component/default/${name}`,
        ),
      {
        what: `component:default/${name} in the catalog`,
        accept: res => res.status === 200,
        timeoutMs,
        intervalMs: 1_000,
      },
    );
  }
}
