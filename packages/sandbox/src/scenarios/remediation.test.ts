import { startSandbox, Sandbox } from '../index';
import { makeKubectl } from '../testing/kubectl';
import { promQuery, promValue, waitUntil } from '../testing/prometheus';

jest.setTimeout(150_000);

const JOB = 'vastai-integration';
const increase = (errorType: string) =>
  `sum(increase(vastai_errors_total{job="${JOB}",error_type="${errorType}"}[5s]))`;
const okRate = `sum(rate(vastai_requests_total{job="${JOB}",status="200"}[5s]))`;

/**
 * The runbook's remediations, done by hand with the real kubectl against the sandbox, end the
 * error storms: asserted with real PromQL on the sandbox's real Prometheus.
 */
describe('runbook remediations heal the world (real kubectl, real Prometheus)', () => {
  let sandbox: Sandbox;
  let kubectl: Awaited<ReturnType<typeof makeKubectl>>;
  let prom: string;

  beforeAll(async () => {
    // 'required': without a Prometheus binary these tests fail rather than skip.
    sandbox = await startSandbox({
      prometheus: 'required',
      kube: { rolloutStepMs: 400, crashLoopIntervalMs: 2000 },
    });
    prom = sandbox.urls.prometheus!;
    kubectl = await makeKubectl(sandbox.urls.kubeconfig);
  });
  afterAll(async () => {
    await kubectl?.cleanup();
    await sandbox?.stop();
  });

  async function expectStorm(errorType: string) {
    await waitUntil(
      `${errorType} errors in Prometheus`,
      () => promValue(prom, increase(errorType)),
      v => v !== undefined && v > 3,
      20_000,
    );
  }
  async function expectHealed(errorType: string) {
    await waitUntil(
      `${errorType} errors to stop`,
      () => promValue(prom, increase(errorType)),
      v => v === 0,
      40_000,
    );
  }
  const rollout = async () => {
    await kubectl.ok([
      '-n',
      'vastai',
      'rollout',
      'status',
      'deployment/vastai-integration',
      '--timeout=60s',
    ]);
  };

  it('auth-failure: new key from the operator key, into the Secret, rollout restart', async () => {
    await sandbox.setScenario('auth-failure');
    await expectStorm('auth_error');

    const created = await fetch(
      `${sandbox.urls.vastApi}/api/v0/auth/apikeys/`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${
            process.env.SANDBOX_VAST_OPERATOR_KEY ?? 'sandbox-operator-key'
          }`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          name: 'vastai-integration-rotated',
          permissions: { read: true },
        }),
      },
    );
    expect(created.status).toBe(200);
    const { key } = await created.json();

    const manifest = await kubectl.ok([
      '-n',
      'vastai',
      'create',
      'secret',
      'generic',
      'vastai-secrets',
      `--from-literal=api-key=${key}`,
      '--dry-run=client',
      '-o',
      'yaml',
    ]);
    await kubectl.ok(['-n', 'vastai', 'apply', '-f', '-'], manifest);
    // A Secret change alone heals nothing: running pods keep the env they started with.
    expect((await promValue(prom, increase('auth_error')))!).toBeGreaterThan(0);

    await kubectl.ok([
      '-n',
      'vastai',
      'rollout',
      'restart',
      'deployment/vastai-integration',
    ]);
    await rollout();
    await expectHealed('auth_error');
    expect(await promValue(prom, okRate)).toBeGreaterThan(0);
    const restart = sandbox.kube
      .writes()
      .find(w => w.method === 'PATCH' && w.resource === 'deployments');
    expect(JSON.stringify(restart?.body)).toContain(
      'kubectl.kubernetes.io/restartedAt',
    );
    expect(JSON.stringify(sandbox.kube.writes())).not.toContain(key);
  });

  it('rate-limited: kubectl set env RATE_LIMIT_MODE=queue ends the 429s', async () => {
    await sandbox.setScenario('rate-limited');
    await expectStorm('rate_limited');
    // Most calls are rate limited in direct mode.
    await waitUntil(
      '429s to outnumber successes',
      async () => [
        await promValue(prom, increase('rate_limited')),
        await promValue(
          prom,
          `sum(increase(vastai_requests_total{job="${JOB}",status="200"}[5s]))`,
        ),
      ],
      ([limited, ok]) =>
        limited !== undefined && ok !== undefined && limited > ok,
      15_000,
    );
    await kubectl.ok([
      '-n',
      'vastai',
      'set',
      'env',
      'deployment/vastai-integration',
      'RATE_LIMIT_MODE=queue',
    ]);
    await rollout();
    await expectHealed('rate_limited');
    expect(await promValue(prom, `max(vastai_queue_mode{job="${JOB}"})`)).toBe(
      1,
    );
    expect(await promValue(prom, okRate)).toBeGreaterThan(0);
  });

  it('vendor-outage: kubectl set env VASTAI_FALLBACK=true stops the errors; health degraded + fallback', async () => {
    await sandbox.setScenario('vendor-outage');
    await expectStorm('server_error');
    await kubectl.ok([
      '-n',
      'vastai',
      'set',
      'env',
      'deployment/vastai-integration',
      'VASTAI_FALLBACK=true',
    ]);
    await rollout();
    await expectHealed('server_error');
    await waitUntil(
      'fallback gauge',
      () => promValue(prom, `max(vastai_fallback_active{job="${JOB}"})`),
      v => v === 1,
      10_000,
    );
    const health = await (
      await fetch(`${sandbox.urls.services[JOB]}/health`)
    ).json();
    expect(health).toMatchObject({
      fallback: true,
      services: { vastai: { status: 'degraded' } },
    });
    // The service makes no vendor calls any more.
    const calls = sandbox.vastCalls().byIdentity[JOB];
    await new Promise(r => setTimeout(r, 1500));
    expect(sandbox.vastCalls().byIdentity[JOB]).toBe(calls);
    const series = await promQuery(prom, `up{job="${JOB}"}`);
    expect(series.map(s => s.value[1])).toEqual(['1']);
  });
});
