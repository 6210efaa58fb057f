/*
 * A PostgreSQL cluster of the test's own, on a free port of 127.0.0.1, that the test may stop and
 * restart: the machine's PostgreSQL (127.0.0.1:5432) serves other runs and is never touched.
 * Made with the machine's `initdb` and `pg_ctl` (the newest /usr/lib/postgresql/<version>/bin),
 * run as the `postgres` user when the test runs as root (initdb refuses root). Trust
 * authentication, no fsync: a throwaway cluster. Its directory is named with a prefix and holds
 * the pid of the test process, so a cluster left by a test process that died is stopped and
 * deleted by the next start.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);
const DIR_PREFIX = 'vastai-private-pg-';
const OWNER_FILE = 'owner.pid';

export interface PrivatePostgres {
  host: string;
  port: number;
  /** `postgresql://postgres@127.0.0.1:<port>` (no database: append `/<name>`). */
  url: string;
  /** Where the server's log goes (read it when a start fails). */
  logFile: string;
  /** Stops the server (`pg_ctl stop -m fast`: clients are disconnected, open work rolled back). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * Stops the server, waits `pauseMs` with no server on the port (requests really meet the gap),
   * starts it again; resolves with how long no server accepted connections, in ms.
   */
  restart(pauseMs?: number): Promise<{ downMs: number }>;
  /** Whether a server accepts connections on the port (`pg_isready`). */
  ready(): Promise<boolean>;
  /** Stops the server and deletes the cluster; safe to call twice, and after a failed start. */
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** The bin directory of the newest PostgreSQL installed under /usr/lib/postgresql. */
export function postgresBinDir(root = '/usr/lib/postgresql'): string {
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter(v => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) {
    throw new Error(
      `no PostgreSQL server binaries (initdb, pg_ctl) under ${root}/<version>/bin`,
    );
  }
  return path.join(root, versions[0], 'bin');
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when this process is root. */
function pgCommand(bin: string, args: string[], timeoutMs = 60_000) {
  const [file, argv] = isRoot()
    ? ['runuser', ['-u', 'postgres', '--', bin, ...args]]
    : [bin, args];
  return run(file, argv, { timeout: timeoutMs, cwd: os.tmpdir() });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops and deletes the clusters of test processes that are gone (they never ran afterAll). */
async function removeOrphans(binDir: string) {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    let owner = 0;
    try {
      owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!owner || alive(owner)) continue;
    await pgCommand(path.join(binDir, 'pg_ctl'), [
      '-D',
      path.join(dir, 'data'),
      '-m',
      'immediate',
      '-w',
      'stop',
    ]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const binDir = postgresBinDir();
  await removeOrphans(binDir);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.writeFileSync(path.join(root, OWNER_FILE), String(process.pid));
  const data = path.join(root, 'data');
  const socketDir = path.join(root, 'run');
  const logFile = path.join(root, 'server.log');
  fs.mkdirSync(socketDir);
  fs.writeFileSync(logFile, '');
  if (isRoot()) {
    // The server runs as `postgres`: it owns the cluster, its sockets and its log.
    await run('chown', ['-R', 'postgres:', root]);
  }
  const port = await freePort();
  const pgCtl = path.join(binDir, 'pg_ctl');
  const serverOptions = [
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    // Two backends, each with a pool per plugin.
    '-c max_connections=300',
  ].join(' ');
  const start = () =>
    pgCommand(pgCtl, [
      '-D',
      data,
      '-o',
      serverOptions,
      '-l',
      logFile,
      '-w',
      '-t',
      '60',
      'start',
    ]).then(() => undefined);
  const stop = () =>
    pgCommand(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']).then(
      () => undefined,
    );
  const ready = () =>
    pgCommand(
      path.join(binDir, 'pg_isready'),
      ['-h', '127.0.0.1', '-p', String(port), '-t', '2'],
      5_000,
    ).then(
      () => true,
      () => false,
    );
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      await pgCommand(pgCtl, [
        '-D',
        data,
        '-m',
        'immediate',
        '-w',
        'stop',
      ]).catch(() => undefined);
    }
    fs.rmSync(root, { recursive: true, force: true });
  };

  try {
    await pgCommand(path.join(binDir, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await start();
  } catch (error) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    await destroy();
    throw new Error(`could not start a private PostgreSQL: ${error}\n${log}`);
  }

  return {
    host: '127.0.0.1',
    port,
    url: `postgresql://postgres@127.0.0.1:${port}`,
    logFile,
    stop,
    start,
    ready,
    async restart(pauseMs = 0) {
      const began = Date.now();
      await stop();
      await sleep(pauseMs);
      await start();
      return { downMs: Date.now() - began };
    },
    destroy,
  };
}
