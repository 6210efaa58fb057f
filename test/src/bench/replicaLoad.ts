/*
 * 6. load across replicas: two real backend processes on PostgreSQL + Redis (Backstage's cache,
 * so the upstream reads one replica caches serve the other), 200 viewers of one entity spread
 * over both (alternating ports, as a load balancer would), each refreshing the triage route as
 * the tab does, while the sandbox flips scenarios every 30 s. Every upstream sits behind a
 * counting proxy (delayProxy.ts), so what is counted is exactly what the two backends asked of
 * the outside world, not the sandbox's own traffic (its services, its Prometheus scrapes).
 *
 * Figures: upstream calls per viewer request (goal <= 0.01 with the shared cache), p50/p99 triage
 * latency, the 5xx count (goal 0), and each backend process's resident memory (VmRSS from
 * /proc, read without touching the backend) after the warm-up and at the end (bound: growth
 * under 30%).
 *
 * Environment: BENCH_LOAD_SECONDS (300), BENCH_LOAD_WARMUP_SECONDS (a quarter of it, at most 30),
 * BENCH_LOAD_VIEWERS (200), BENCH_LOAD_REFRESH_MS (5000), BENCH_LOAD_TTL_SECONDS (10, the
 * embedded default). Fixed ports: run under `flock /tmp/vastai-e2e.lock`.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_BASE_PORT,
  portsFromBase,
  SCENARIO_NAMES,
} from '@internal/vastai-sandbox';
import { eventually } from '@internal/vastai-sandbox/testing';
import { startDelayProxy, DelayProxy } from './delayProxy';
import { REPLICA_PORTS, Replicas, startReplicas } from '../testing/replicas';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 300);
const WARMUP_SECONDS = Number(
  process.env.BENCH_LOAD_WARMUP_SECONDS ?? Math.min(30, Math.ceil(SECONDS / 4)),
);
const VIEWERS = Number(process.env.BENCH_LOAD_VIEWERS ?? 200);
const REFRESH_MS = Number(process.env.BENCH_LOAD_REFRESH_MS ?? 5000);
const TTL_S = Number(process.env.BENCH_LOAD_TTL_SECONDS ?? 10);
const FLIP_EVERY_MS = 30_000;
// Small, as in section 2: wide enough that two replicas missing the cache at once both go out.
const PROXY_DELAY_MS = 20;
const RSS_GROWTH_BOUND = 0.3;
const TRIAGE =
  '/api/vastai-incident/v1/entities/default/component/vastai-integration/triage';
const CATALOG =
  '/api/catalog/entities/by-name/component/default/vastai-integration';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Whether something already listens on 127.0.0.1:port (another stack on the fixed ports). */
function portBusy(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The pid of the process listening on `port`, from /proc (the backend behind npx and the CLI). */
function listeningPid(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ADDR:PORT; state 0A is LISTEN; column 9 is the socket's inode.
      if (cols.length > 9 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A')
        inodes.add(cols[9]);
    }
  }
  if (!inodes.size) return undefined;
  for (const pid of fs.readdirSync('/proc').filter(d => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) return Number(pid);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return undefined;
}

/** VmRSS of `pid` in MB, or undefined once it is gone. */
function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kb ? Number(kb[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function writeConfig(proxies: Record<string, DelayProxy>): string {
  const file = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'vastai-bench-replicas-')),
    'bench.yaml',
  );
  fs.writeFileSync(
    file,
    JSON.stringify({
      vastaiIncident: {
        vendor: {
          apiBaseUrl: `${proxies.vast.url}/api/v0`,
          status: { type: 'statuspage', url: proxies.status.url },
        },
        prometheus: { baseUrl: proxies.prometheus.url },
        integrations: {
          'vastai-integration': { healthUrl: `${proxies.health.url}/health` },
        },
      },
      kubernetes: {
        serviceLocatorMethod: { type: 'multiTenant' },
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              {
                name: 'sandbox',
                url: proxies.kube.url,
                authProvider: 'serviceAccount',
                serviceAccountToken: 'sandbox-token',
                skipMetricsLookup: true,
              },
            ],
          },
        ],
      },
    }),
  );
  return file;
}

interface Tally {
  latencies: number[];
  byStatus: Map<number, number>;
  networkErrors: number;
}

export async function replicaLoad(print: (line: string) => void) {
  const ports = portsFromBase(DEFAULT_BASE_PORT);
  for (const port of [...REPLICA_PORTS, ...Object.values(ports)]) {
    if (await portBusy(port)) {
      print(
        `6. load across replicas: skipped, port ${port} is in use (another stack runs on the fixed ports)`,
      );
      return;
    }
  }

  const proxies: Record<string, DelayProxy> = {
    vast: await startDelayProxy(
      `http://127.0.0.1:${ports.vastApi}`,
      PROXY_DELAY_MS,
    ),
    status: await startDelayProxy(
      `http://127.0.0.1:${ports.statusPage}`,
      PROXY_DELAY_MS,
    ),
    health: await startDelayProxy(
      `http://127.0.0.1:${ports.integration}`,
      PROXY_DELAY_MS,
    ),
    kube: await startDelayProxy(
      `http://127.0.0.1:${ports.kubernetes}`,
      PROXY_DELAY_MS,
    ),
    prometheus: await startDelayProxy(
      `http://127.0.0.1:${ports.prometheus}`,
      PROXY_DELAY_MS,
    ),
  };
  const all = Object.values(proxies);
  const totalCount = () => all.reduce((n, p) => n + p.count(), 0);

  let replicas: Replicas | undefined;
  try {
    replicas = await startReplicas({
      scenario: 'healthy',
      prometheus: true,
      extraConfig: [writeConfig(proxies)],
      // The embedded defaults (app-config.yaml), not the replica tests' short ones.
      env: {
        APP_CONFIG_vastaiIncident_cacheTtlSeconds: String(TTL_S),
        APP_CONFIG_vastaiIncident_vendor_probeMinIntervalSeconds: '5',
      },
    });
    const r = replicas;
    const token = await r.guestToken();
    const headers = { Authorization: `Bearer ${token}` };
    for (const url of r.urls) {
      await eventually(
        async () => (await fetch(`${url}${CATALOG}`, { headers })).status,
        {
          what: `the entity in the catalog of ${url}`,
          accept: s => s === 200,
          timeoutMs: 180_000,
          intervalMs: 1000,
        },
      );
      await (await fetch(`${url}${TRIAGE}`, { headers })).arrayBuffer();
    }

    // What one cold triage reads upstream: the most one TTL window should cost when the
    // replicas share their reads (twice that if each kept its own).
    await sleep(TTL_S * 1000 + 1100);
    for (const p of all) p.reset();
    await (await fetch(`${r.urls[0]}${TRIAGE}`, { headers })).arrayBuffer();
    const coldCalls = totalCount();

    let tally: Tally | undefined;
    const end = Date.now() + (WARMUP_SECONDS + SECONDS) * 1000;
    const viewer = async (i: number) => {
      const url = `${r.urls[i % r.urls.length]}${TRIAGE}`;
      // Tabs are not opened in step: each starts somewhere in the first interval.
      await sleep(Math.random() * REFRESH_MS);
      while (Date.now() < end) {
        const t = tally;
        const t0 = performance.now();
        try {
          const res = await fetch(url, { headers });
          await res.arrayBuffer();
          if (t) {
            t.latencies.push(performance.now() - t0);
            t.byStatus.set(res.status, (t.byStatus.get(res.status) ?? 0) + 1);
          }
        } catch {
          if (t) t.networkErrors += 1;
        }
        await sleep(REFRESH_MS);
      }
    };
    const viewers = Promise.all(
      Array.from({ length: VIEWERS }, (_, i) => viewer(i)),
    );

    await sleep(WARMUP_SECONDS * 1000);
    const pids = REPLICA_PORTS.map(listeningPid);
    const rssBefore = pids.map(rssMb);
    for (const p of all) p.reset();
    tally = { latencies: [], byStatus: new Map(), networkErrors: 0 };
    const measuredFrom = Date.now();

    // Scenario flips, from the first failure scenario on, round the list.
    const order = [
      ...SCENARIO_NAMES.filter(s => s !== 'healthy'),
      'healthy' as const,
    ];
    const flipped: string[] = [];
    for (let n = 0; Date.now() < end; n++) {
      const scenario = order[n % order.length];
      await r.sandbox.setScenario(scenario);
      flipped.push(scenario);
      const next = measuredFrom + (n + 1) * FLIP_EVERY_MS;
      await sleep(Math.max(0, Math.min(next, end) - Date.now()));
    }
    await viewers;
    // Requests are counted when they start before `end`; the viewers' last sleep is not measured.
    const measuredS = (end - measuredFrom) / 1000;
    const rssAfter = pids.map(rssMb);

    const t = tally;
    const requests =
      [...t.byStatus.values()].reduce((a, b) => a + b, 0) + t.networkErrors;
    const calls = totalCount();
    const windows = measuredS / TTL_S;
    const fiveXx = [...t.byStatus]
      .filter(([s]) => s >= 500)
      .reduce((n, [, c]) => n + c, 0);
    const otherNon200 = [...t.byStatus]
      .filter(([s]) => s !== 200 && s < 500)
      .map(([s, c]) => `${s} x${c}`);

    print(
      `6. load across replicas: ${VIEWERS} viewers alternating over ports ${REPLICA_PORTS.join(
        '/',
      )}, refresh every ${REFRESH_MS / 1000} s, ${measuredS.toFixed(
        0,
      )} s measured after ${WARMUP_SECONDS} s warm-up, cache TTL ${TTL_S} s (Redis), scenario flip every ${
        FLIP_EVERY_MS / 1000
      } s (${flipped.join(', ')})`,
    );
    print(
      `6. upstream calls per viewer request: ${calls} calls / ${requests} requests = ${(
        calls / Math.max(1, requests)
      ).toFixed(4)} (goal <= 0.01 with the shared cache)`,
    );
    print(
      `6. upstream calls by upstream: ${Object.entries(proxies)
        .map(([k, p]) => `${k} ${p.count()}`)
        .join(', ')}`,
    );
    print(
      `6. upstream calls per cache TTL window: ${(calls / windows).toFixed(
        1,
      )}; one cold triage reads ${coldCalls} -> ${(
        calls /
        windows /
        Math.max(1, coldCalls)
      ).toFixed(2)}x (1.0 = both replicas share every read, 2.0 = none)`,
    );
    // With perfect sharing a TTL window costs one cold triage, spread over the requests made in
    // it: the least calls per request this viewer rate allows, whatever the replicas do.
    const requestsPerWindow = requests / windows;
    print(
      `6. floor at this request rate (one cold triage per TTL window): ${(
        coldCalls / Math.max(1, requestsPerWindow)
      ).toFixed(4)} per viewer request (${requestsPerWindow.toFixed(
        0,
      )} requests per window)`,
    );
    print(
      `6. triage latency: p50 ${percentile(t.latencies, 50).toFixed(
        0,
      )} ms, p99 ${percentile(t.latencies, 99).toFixed(0)} ms`,
    );
    print(
      `6. 5xx answers: ${fiveXx} (goal 0); other non-200: ${
        otherNon200.join(', ') || 'none'
      }; network errors: ${t.networkErrors}`,
    );
    REPLICA_PORTS.forEach((port, i) => {
      const before = rssBefore[i];
      const after = rssAfter[i];
      const growth =
        before !== undefined && after !== undefined
          ? `${after >= before ? '+' : ''}${(
              (after / before - 1) *
              100
            ).toFixed(1)}%`
          : 'n/a';
      print(
        `6. replica ${i} (port ${port}, pid ${pids[i] ?? '?'}) RSS: ${
          before?.toFixed(0) ?? '?'
        } MB after warm-up -> ${
          after?.toFixed(0) ?? '?'
        } MB at the end, ${growth} (bound: growth < ${
          RSS_GROWTH_BOUND * 100
        }%)`,
      );
    });
  } finally {
    await replicas?.stop();
    for (const p of all) await p.close();
  }
}
