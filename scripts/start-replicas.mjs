#!/usr/bin/env node
/*
 * `npm run start:replicas`: the sandbox and two backend processes from the real backend entry
 * point (packages/backend), on ports 7007 and 7008, sharing PostgreSQL (127.0.0.1:5432) and Redis
 * (127.0.0.1:6379) through app-config.replicas.yaml. Ctrl-C stops all three. Environment:
 * POSTGRES_HOST/PORT/USER/PASSWORD, REDIS_URL, REPLICAS_DATABASE_PREFIX, REPLICAS_CACHE_NAMESPACE,
 * REPLICAS_PORTS (default "7007,7008").
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ports = (process.env.REPLICAS_PORTS ?? '7007,7008')
  .split(',')
  .map(Number);

function reachable(host, port) {
  return new Promise(resolve => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
for (const [what, host, port] of [
  [
    'PostgreSQL',
    process.env.POSTGRES_HOST ?? '127.0.0.1',
    Number(process.env.POSTGRES_PORT ?? 5432),
  ],
  ['Redis', redis.hostname, Number(redis.port || 6379)],
]) {
  if (!(await reachable(host, port))) {
    console.error(
      `start:replicas: ${what} is not reachable on ${host}:${port}`,
    );
    process.exit(1);
  }
}

const children = [];
function run(name, command, args, options) {
  const child = spawn(command, args, {
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `[${name}] `;
  const forward = stream => chunk => {
    const text = chunk.toString();
    stream.write(
      text
        .split('\n')
        .filter((line, i, all) => line || i < all.length - 1)
        .map(line => prefix + line)
        .join('\n') + '\n',
    );
  };
  child.stdout.on('data', forward(process.stdout));
  child.stderr.on('data', forward(process.stderr));
  child.on('exit', code => {
    console.log(`${prefix}exited (${code})`);
    if (!stopping) stop(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) {
    if (child.exitCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  setTimeout(() => process.exit(code), 3000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

async function ready(port) {
  for (;;) {
    if (stopping) return;
    try {
      const res = await fetch(
        `http://127.0.0.1:${port}/.backstage/health/v1/readiness`,
        { signal: AbortSignal.timeout(2000) },
      );
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise(r => setTimeout(r, 1000));
  }
}

run('sandbox', 'npm', ['run', 'sandbox'], { cwd: root, env: process.env });
// One after the other: two Backstage backends migrating one fresh database at once trip over
// each other's migration locks. The second starts once the first is ready.
for (const [i, port] of ports.entries()) {
  if (i > 0) await ready(ports[i - 1]);
  run(
    `backend-${i + 1}:${port}`,
    'npx',
    [
      'backstage-cli',
      'package',
      'start',
      '--config',
      path.join(root, 'app-config.yaml'),
      '--config',
      path.join(root, 'app-config.replicas.yaml'),
    ],
    {
      cwd: path.join(root, 'packages/backend'),
      env: {
        ...process.env,
        APP_CONFIG_backend_listen_port: String(port),
        APP_CONFIG_backend_baseUrl: `http://localhost:${port}`,
      },
    },
  );
}
