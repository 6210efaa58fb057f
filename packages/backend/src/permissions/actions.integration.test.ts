import type { JsonObject } from '@backstage/types';
import { startSandbox, type Sandbox } from '@internal/vastai-sandbox';
import { eventually } from '@internal/vastai-sandbox/testing';
import {
  SignedInUser,
  auditEntries,
  getJson,
  signInAsGuest,
  waitForDemoCatalog,
} from '../testing/portalClient';
import { sandboxConfig } from '../testing/sandboxConfig';
import {
  PortalTestBackend,
  startPortalTestBackend,
} from '../testing/startPortalTestBackend';

jest.setTimeout(180_000);

const API = '/api/vastai-incident/v1/entities/default/component';

describe('remediations through the real permission backend, demo policy and catalog', () => {
  let sandbox: Sandbox;
  let backend: PortalTestBackend;
  let guest: SignedInUser;

  async function post(
    entity: string,
    actionId: string,
    body: JsonObject,
    idempotencyKey?: string,
  ) {
    const res = await fetch(
      `${backend.baseUrl}${API}/${entity}/actions/${actionId}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${guest.token}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: JSON.stringify(body),
      },
    );
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({
      scenario: 'rate-limited',
      prometheus: false,
      kube: { rolloutStepMs: 200 },
    });
    backend = await startPortalTestBackend({ config: sandboxConfig(sandbox) });
    await waitForDemoCatalog(
      backend.baseUrl,
      (
        await signInAsGuest(backend.baseUrl)
      ).token,
    );
    guest = await signInAsGuest(backend.baseUrl);
  });

  afterAll(async () => {
    await backend?.stop();
    await sandbox?.stop();
  });

  it('denies the guest on vastai-batch-worker (403) with zero Kubernetes writes and zero vendor calls', async () => {
    const writesBefore = sandbox.kube.writes().length;
    const vendorBefore = sandbox.vastCalls();
    const attempts = [
      await post('vastai-batch-worker', 'queue-mode', { dryRun: true }),
      await post(
        'vastai-batch-worker',
        'queue-mode',
        { dryRun: false },
        'deny-1',
      ),
      await post(
        'vastai-batch-worker',
        'rollout-restart',
        { dryRun: false },
        'deny-2',
      ),
      await post(
        'vastai-batch-worker',
        'rotate-api-key',
        { dryRun: false },
        'deny-3',
      ),
    ];
    for (const attempt of attempts) {
      expect(attempt.status).toBe(403);
      expect(attempt.body.error.name).toBe('NotAllowedError');
    }
    expect(attempts[3].body.error.message).toContain('vastai.secret.rotate');
    expect(sandbox.kube.writes().slice(writesBefore)).toEqual([]);
    const vendorAfter = sandbox.vastCalls();
    // Nothing on behalf of the batch worker, and no key created or deleted by the operator.
    expect(
      vendorAfter.byIdentityAndEndpoint.operator?.[
        'POST /api/v0/auth/apikeys/'
      ] ?? 0,
    ).toBe(
      vendorBefore.byIdentityAndEndpoint.operator?.[
        'POST /api/v0/auth/apikeys/'
      ] ?? 0,
    );
    const calledByProduct = (stats: typeof vendorBefore) =>
      Object.entries(stats.byIdentityAndEndpoint.operator ?? {})
        .filter(([endpoint]) => endpoint.includes('apikeys'))
        .reduce((sum, [, n]) => sum + n, 0);
    expect(calledByProduct(vendorAfter)).toBe(calledByProduct(vendorBefore));
    expect(vendorAfter.byIdentity.operator ?? 0).toBe(
      vendorBefore.byIdentity.operator ?? 0,
    );

    // Each refusal is on record, as the guest's.
    const denied = await auditEntries(
      backend.baseUrl,
      guest,
      'vastai-batch-worker',
      'denied',
    );
    expect(denied).toHaveLength(4);
    expect(denied.every(e => e.actor === 'user:default/guest')).toBe(true);
  });

  it('lets the guest dry-run and run queue-mode on vastai-integration (2xx), and follows the run', async () => {
    const writesBefore = sandbox.kube.writes().length;
    const dry = await post('vastai-integration', 'queue-mode', {
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.status).toBe('dry-run');
    const diffPaths = dry.body.diff.map(
      (line: any) => `${line.path} ${line.before}->${line.after}`,
    );
    expect(diffPaths.join('\n')).toMatch(/RATE_LIMIT_MODE.*->queue/);
    // A dry run only ever sends dry-run writes.
    expect(
      sandbox.kube
        .writes()
        .slice(writesBefore)
        .filter(w => !w.dryRun),
    ).toEqual([]);

    const applied = await post(
      'vastai-integration',
      'queue-mode',
      { dryRun: false },
      'allow-1',
    );
    expect([200, 202]).toContain(applied.status);
    expect(applied.body.actor).toBe('user:default/guest');
    const realWrites = sandbox.kube
      .writes()
      .slice(writesBefore)
      .filter(w => !w.dryRun && w.method === 'PATCH');
    expect(realWrites).toHaveLength(1);
    expect(realWrites[0]).toMatchObject({
      resource: 'deployments',
      name: 'vastai-integration',
    });

    // The run ends (verification has a 15 s deadline here) and is readable by its id.
    const run = await eventually(
      async () => {
        const read = await getJson(
          backend.baseUrl,
          `${API}/vastai-integration/actions/runs/${applied.body.runId}`,
          guest.token,
        );
        expect(read.status).toBe(200);
        return read.body;
      },
      {
        what: 'the run to end',
        accept: r => ['succeeded', 'unverified', 'failed'].includes(r.status),
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    expect(['succeeded', 'unverified']).toContain(run.status);
    expect(run.phase).toBe('done');

    // An Idempotency-Key replay returns the stored run and writes nothing more.
    const writesAfterRun = sandbox.kube.writes().length;
    const replay = await post(
      'vastai-integration',
      'queue-mode',
      { dryRun: false },
      'allow-1',
    );
    expect(replay.body.runId).toBe(applied.body.runId);
    expect(sandbox.kube.writes().length).toBe(writesAfterRun);
  });
});
