import { spawn, ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LOOPBACK, sleep } from '../http/server';

export function findPrometheusBinary(): string | undefined {
  const candidates = [process.env.PROMETHEUS_BIN, '/usr/bin/prometheus'].filter(
    Boolean,
  ) as string[];
  return candidates.find(c => existsSync(c));
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
}

export interface RunningPrometheus {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function prometheusConfig(targets: ScrapeTarget[]): string {
  const jobs = targets
    .map(
      t =>
        `  - job_name: ${JSON.stringify(
          t.job,
        )}\n    static_configs:\n      - targets: [${JSON.stringify(
          t.address,
        )}]`,
    )
    .join('\n');
  return `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nscrape_configs:\n${jobs}\n`;
}

/**
 * Starts a real Prometheus scraping the given targets every second; resolves once it is ready
 * (`/-/ready`). Its service discovery hands over the first targets after about 5 s, so the first
 * samples appear then: poll, do not assume data right after start.
 */
export async function startPrometheus(options: {
  binary: string;
  port: number;
  targets: ScrapeTarget[];
  stateDir?: string;
  readyTimeoutMs?: number;
}): Promise<RunningPrometheus> {
  const port = options.port || (await freePort());
  const ownDir = !options.stateDir;
  const dir =
    options.stateDir ??
    (await mkdtemp(path.join(os.tmpdir(), 'vastai-sandbox-prom-')));
  await mkdir(path.join(dir, 'data'), { recursive: true });
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, prometheusConfig(options.targets));
  const url = `http://${LOOPBACK}:${port}`;

  let output = '';
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=${LOOPBACK}:${port}`,
    '--storage.tsdb.retention.time=2h',
  ];
  // A tiny shell supervisor: Prometheus goes when we stop it, and also when this Node process dies
  // without stopping it (a crashed test run must not leave a Prometheus behind).
  const supervisor = [
    '"$0" "$@" & child=$!',
    'trap \'kill "$child" 2>/dev/null; wait "$child"; exit 0\' TERM INT',
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1 & wait $!; done`,
    'kill "$child" 2>/dev/null; wait "$child"',
  ].join('\n');
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', supervisor, options.binary, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exitedPromise = new Promise<void>(resolve =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(killTimer);
    }
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(
        `prometheus exited during start-up: ${output
          .trim()
          .split('\n')
          .slice(-5)
          .join('\n')}`,
      );
    }
    try {
      const res = await fetch(`${url}/-/ready`, {
        signal: AbortSignal.timeout(1000),
      });
      if (res.ok) return { url, port, stop };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await stop();
  throw new Error(
    `prometheus did not become ready within ${
      options.readyTimeoutMs ?? 30_000
    } ms`,
  );
}
