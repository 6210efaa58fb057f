/*
 * Faults of the portal's own dependencies, on two real backend replicas: the Kubernetes API
 * answering 500 or 409 in the middle of a remediation, and the Backstage cache's Redis going away.
 * The replicas use a private redis-server started here, so stopping it never touches the
 * machine's Redis. Run with `flock /tmp/vastai-e2e.lock` (fixed ports).
 */
import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { eventually } from '@internal/vastai-sandbox/testing';
import { freePort } from '../testing/ports';
import { Replicas, startReplicas } from '../testing/replicas';

jest.setTimeout(600_000);

const ENTITY_PATH =
  '/api/vastai-incident/v1/entities/default/component/vastai-integration';
const REDIS_SERVER = '/usr/bin/redis-server';

let replicas: Replicas;
let redis: ChildProcess | undefined;
let redisPort = 0;
const output = ['', ''];

/** Whether a Redis server answers PING on `port`. */
function redisPing(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', data => done(data.toString().startsWith('+PONG')));
  });
}

async function triage(
  replica: number,
): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${replicas.urls[replica]}${ENTITY_PATH}/triage`, {
    headers: { Authorization: `Bearer ${await replicas.guestToken()}` },
    signal: AbortSignal.timeout(30_000),
  }).catch(() => undefined);
  await res?.text();
  return { status: res?.status ?? 0, ms: Date.now() - started };
}

async function deploymentWrites(): Promise<any[]> {
  const { writes } = await replicas.control('GET', '/kube/writes');
  return writes.filter(
    (w: any) => w.resource === 'deployments' && w.name === 'vastai-integration',
  );
}

async function auditRows(key: string) {
  return replicas.query(
    'SELECT outcome, reason FROM vastai_action_audit WHERE idempotency_key = $1',
    [key],
  );
}

/** Viewers on both replicas for `ms`: every answer, and the vendor calls they cost. */
async function viewers(ms: number) {
  await replicas.control('POST', '/reset-counters');
  const answers: Array<{ status: number; ms: number }> = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    answers.push(...(await Promise.all([triage(0), triage(1)])));
    await new Promise(r => setTimeout(r, 250));
  }
  const calls = await replicas.control('GET', '/vast/calls');
  return { answers, vendorCalls: Number(calls.byIdentity?.operator ?? 0) };
}

beforeAll(async () => {
  redisPort = await freePort();
  redis = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  await eventually(() => redisPing(redisPort), {
    what: `a private redis-server on port ${redisPort}`,
    accept: ok => ok,
    timeoutMs: 20_000,
    intervalMs: 200,
  });
  replicas = await startReplicas({
    scenario: 'rate-limited',
    cacheUrl: `redis://127.0.0.1:${redisPort}`,
    onLog: (i, chunk) => {
      output[i] += chunk;
    },
  });
  await replicas.guestToken();
  await replicas.waitForEntity();
});

afterAll(async () => {
  await replicas.control('DELETE', '/kube/faults').catch(() => undefined);
  await replicas?.stop();
  if (redis && redis.exitCode === null && !redis.signalCode)
    redis.kill('SIGKILL');
});

describe('Kubernetes API faults in the middle of a remediation (two replicas)', () => {
  // A 500 is an error of the API server (HTTP 200, code `error`); a 409 means the deployment
  // changed meanwhile, answered as a conflict (HTTP 409, code `conflict`) that says what to do.
  it.each([
    {
      status: 500 as const,
      httpStatus: 200,
      code: 'error',
      words: /500 InternalError/,
    },
    {
      status: 409 as const,
      httpStatus: 409,
      code: 'conflict',
      words:
        /changed while the action ran \(409 Conflict from the API server\); nothing was overwritten\. Run the dry run again/,
    },
  ])(
    'ends queue-mode `failed` on a $status from the API server, naming the answer, with one real attempt and an audit row',
    async ({ status, httpStatus, code, words }) => {
      await replicas.sandbox.setScenario('rate-limited');
      await replicas.control('POST', '/reset-counters');
      await replicas.control('PUT', '/kube/faults', {
        resource: 'deployments',
        name: 'vastai-integration',
        status,
        count: 1,
      });
      const key = `faults-${status}-${Date.now()}`;
      const answer = await replicas.postAction(0, 'queue-mode', key);
      expect(answer.status).toBe(httpStatus);
      expect(answer.body.status).toBe('failed');
      expect(answer.body.code).toBe(code);
      expect(answer.body.reason).toMatch(words);
      // The server-side dry run passed and the one real write got the fault: no retry.
      const writes = await deploymentWrites();
      expect(writes.map(w => [w.dryRun, w.status])).toEqual([
        [true, 200],
        [false, status],
      ]);
      // The run did not change the deployment.
      const deployment = replicas.sandbox.kube.getObject(
        'Deployment',
        'vastai',
        'vastai-integration',
      ) as any;
      const env = JSON.stringify(deployment.spec.template.spec.containers);
      expect(env).not.toContain('"queue"');
      const rows = await auditRows(key);
      expect(rows.map(r => r.outcome)).toEqual(['failed']);
      expect(rows[0].reason).toMatch(words);
      // Nothing pending in the fault knob: it answered exactly one write.
      expect((await replicas.control('GET', '/kube/hold')).faults).toEqual([]);
    },
  );

  it('frees the deployment after a failed write: the next action runs and writes once', async () => {
    await replicas.control('POST', '/reset-counters');
    const key = `faults-next-${Date.now()}`;
    const answer = await replicas.postAction(1, 'queue-mode', key);
    expect([200, 202]).toContain(answer.status);
    expect(answer.body.code).not.toBe('busy');
    expect(['running', 'succeeded', 'unverified']).toContain(
      answer.body.status,
    );
    const writes = await deploymentWrites();
    expect(writes.map(w => [w.dryRun, w.status])).toEqual([
      [true, 200],
      [false, 200],
    ]);
  });
});

describe('the Backstage cache on a private Redis that stops (two replicas)', () => {
  it('keeps answering triage with 200 on both replicas once Redis is gone, with one warning per replica', async () => {
    await replicas.sandbox.setScenario('healthy');
    // Warm up both replicas, then measure with Redis up.
    await Promise.all([triage(0), triage(1)]);
    const up = await viewers(8_000);
    expect(up.answers.every(a => a.status === 200)).toBe(true);

    redis!.kill('SIGKILL');
    await eventually(async () => !(await redisPing(redisPort)), {
      what: 'the private redis-server to be gone',
      accept: gone => gone,
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    const before = output.map(o => o.length);
    const down = await viewers(12_000);
    const statuses = down.answers.map(a => a.status);
    expect(statuses.filter(s => s !== 200)).toEqual([]);
    expect(down.answers.length).toBeGreaterThanOrEqual(10);

    const perRequest = (r: typeof up) =>
      (r.vendorCalls / r.answers.length).toFixed(2);
    const slowest = (r: typeof up) => Math.max(...r.answers.map(a => a.ms));
    const since = output.map((o, i) => o.slice(before[i]));
    const count = (text: string, pattern: RegExp) =>
      (text.match(pattern) ?? []).length;
    // Printed, not asserted: the cost of losing the shared cache, and what the backend logs.
    // eslint-disable-next-line no-console
    console.log(
      [
        `Redis up:   ${up.answers.length} viewer requests, ${
          up.vendorCalls
        } vendor calls (${perRequest(up)} per request), slowest ${slowest(
          up,
        )} ms`,
        `Redis down: ${down.answers.length} viewer requests, ${
          down.vendorCalls
        } vendor calls (${perRequest(down)} per request), slowest ${slowest(
          down,
        )} ms`,
        ...since.map(
          (text, i) =>
            `replica ${i} logs while Redis was down: ${count(
              text,
              /shared cache unavailable/g,
            )} plugin warning(s) "shared cache unavailable", ${count(
              text,
              /Uncaught exception/g,
            )} "Uncaught exception", ${count(
              text,
              /Failed to create redis cache client/g,
            )} "Failed to create redis cache client"`,
        ),
      ].join('\n'),
    );
    for (const text of since) {
      // The plugin's cache layer says it once, not per request.
      expect(count(text, /shared cache unavailable/g)).toBe(1);
    }
  });
});
