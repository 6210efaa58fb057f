/*
 * The install fixture (test/fixtures/install-app): someone else's Backstage, copied outside the
 * repo so that nothing resolves through the workspace's node_modules, with its own npm install,
 * app build and backend process.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from '@internal/vastai-sandbox/testing';
import { REPO_ROOT, run } from './packaging';
import { stopProcessGroup } from './stack';

export const FIXTURE_DIR = path.join(REPO_ROOT, 'test/fixtures/install-app');

/** npm flags of every fixture install: reuse the workspace install's npm cache. */
export const NPM_INSTALL_FLAGS = [
  '--prefer-offline',
  '--no-audit',
  '--no-fund',
];

/**
 * The environment of commands run in the fixture: without the npm and Jest variables of the
 * surrounding run (an inherited `npm_config_*` would point npm back at the workspace).
 */
export function fixtureEnv(
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'INIT_CWD') continue;
    if (key === 'NODE_ENV' || key === 'JEST_WORKER_ID') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export function copyFixture(dest: string): void {
  if (path.resolve(dest).startsWith(REPO_ROOT + path.sep)) {
    throw new Error(
      `the fixture must be installed outside the repo, not ${dest}`,
    );
  }
  fs.cpSync(FIXTURE_DIR, dest, { recursive: true });
}

export function npmInstall(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return run('npm', ['install', ...NPM_INSTALL_FLAGS, ...args], {
    cwd: dir,
    env,
    timeoutMs: 480_000,
  });
}

export interface FixtureBackend {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the fixture's backend as its owner would (`backstage-cli package start`). */
export async function startFixtureBackend(
  fixtureDir: string,
  port: number,
  env: NodeJS.ProcessEnv,
): Promise<FixtureBackend> {
  const url = `http://localhost:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    'npx',
    ['backstage-cli', 'package', 'start', '--config', '../../app-config.yaml'],
    {
      cwd: path.join(fixtureDir, 'packages/backend'),
      env: { ...env, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-30000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const stop = () => stopProcessGroup(child);

  try {
    const state = await eventually(
      async () => {
        if (child.exitCode !== null) return 'exited';
        const res = await fetch(`${url}/.backstage/health/v1/readiness`, {
          signal: AbortSignal.timeout(2000),
        });
        return res.ok ? 'ready' : 'starting';
      },
      {
        what: 'the fixture backend to be ready',
        accept: s => s !== 'starting',
        timeoutMs: 180_000,
        intervalMs: 500,
      },
    );
    if (state === 'exited') {
      throw new Error(`the fixture backend exited with ${child.exitCode}`);
    }
  } catch (error) {
    await stop();
    throw new Error(`${error}:\n${log}`);
  }
  return { url, output: () => log, stop };
}

/** A Backstage token of the guest user of the fixture backend. */
export async function fixtureGuestToken(backendUrl: string): Promise<string> {
  const res = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  if (!res.ok) throw new Error(`guest sign-in answered ${res.status}`);
  const body = (await res.json()) as { backstageIdentity: { token: string } };
  return body.backstageIdentity.token;
}

/** Drops the fixture's database, with the fixture's own `pg` client. */
export async function dropDatabase(
  fixtureDir: string,
  adminUrl: string,
  database: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(database)) throw new Error('bad database name');
  const script = `
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.env.ADMIN_URL });
    client.connect()
      .then(() => client.query('DROP DATABASE IF EXISTS ${database} WITH (FORCE)'))
      .then(() => client.end(), e => { console.error(String(e)); process.exit(1); });
  `;
  await run('node', ['-e', script], {
    cwd: path.join(fixtureDir, 'packages/backend'),
    env: { ...env, ADMIN_URL: adminUrl },
    timeoutMs: 30_000,
  });
}
