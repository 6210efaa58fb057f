/**
 * The plugin's Backstage actions as an AI assistant meets them: a real MCP client (the SDK's
 * Client over Streamable HTTP) against the whole portal (the real auth, catalog, permission
 * backend with the demo policy, actions registry and MCP actions backend) and the sandbox, signed
 * in as the guest with the token the guest provider gives the frontend.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSandbox, type Sandbox } from '@internal/vastai-sandbox';
import { eventually } from '@internal/vastai-sandbox/testing';
import {
  SignedInUser,
  callJson,
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

jest.setTimeout(300_000);

const OWNED = 'component:default/vastai-integration';
const NOT_OWNED = 'component:default/vastai-batch-worker';
const API = '/api/vastai-incident/v1/entities/default/component';
const MCP_PATH = '/api/mcp-actions/v1';
/** Tool names as the MCP actions backend names them: `<pluginId>.<action name>`. */
const TOOLS = {
  triage: 'vastai-incident.triage',
  dryRun: 'vastai-incident.dry-run-remediation',
  run: 'vastai-incident.run-remediation',
  status: 'vastai-incident.remediation-status',
  summary: 'vastai-incident.incident-summary',
};

interface ToolAnswer {
  isError: boolean;
  text: string;
  output: any;
}

describe('the Vast.ai incident actions over MCP, through the whole portal', () => {
  let sandbox: Sandbox;
  let backend: PortalTestBackend;
  let guest: SignedInUser;
  let client: Client;

  async function connect(token?: string): Promise<Client> {
    const mcp = new Client({ name: 'vastai-incident-test', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(
        new URL(`${backend.baseUrl}${MCP_PATH}`),
        token
          ? { requestInit: { headers: { authorization: `Bearer ${token}` } } }
          : {},
      ),
    );
    return mcp;
  }

  async function call(
    name: string,
    args: Record<string, unknown>,
  ): Promise<ToolAnswer> {
    const result = (await client.callTool(
      { name, arguments: args },
      undefined,
      { timeout: 120_000 },
    )) as any;
    const text = (result.content ?? [])
      .map((c: any) => (c.type === 'text' ? c.text : ''))
      .join('\n');
    return {
      isError: Boolean(result.isError),
      text,
      output: result.isError ? undefined : result.structuredContent,
    };
  }

  /** Every Kubernetes write the sandbox saw, from its control API. */
  async function kubeWrites(): Promise<any[]> {
    const res = await fetch(`${sandbox.urls.control}/kube/writes`);
    expect(res.status).toBe(200);
    return (await res.json()).writes;
  }

  async function triageUntil(
    entityRef: string,
    accept: (report: any) => boolean,
    what: string,
  ) {
    return eventually(
      async () => {
        const answer = await call(TOOLS.triage, { entityRef });
        expect(answer.isError).toBe(false);
        return answer.output;
      },
      { what, accept, timeoutMs: 120_000, intervalMs: 2_000 },
    );
  }

  beforeAll(async () => {
    sandbox = await startSandbox({
      scenario: 'healthy',
      prometheus: true,
      kube: { rolloutStepMs: 200 },
    });
    backend = await startPortalTestBackend({
      config: [
        sandboxConfig(sandbox),
        // Queue mode is verified on the 429 rate Prometheus computes over a 1 m window.
        { vastaiIncident: { actions: { verifyTimeoutSeconds: 90 } } },
      ],
    });
    await waitForDemoCatalog(
      backend.baseUrl,
      (
        await signInAsGuest(backend.baseUrl)
      ).token,
    );
    guest = await signInAsGuest(backend.baseUrl);
    client = await connect(guest.token);
  });

  afterAll(async () => {
    await client?.close();
    await backend?.stop();
    await sandbox?.stop();
  });

  it('refuses a client without a Backstage token', async () => {
    await expect(connect()).rejects.toThrow(/401|Unauthorized|Authentication/i);
  });

  it('lists the actions as tools, run-remediation flagged destructive', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map(t => [t.name, t]));
    for (const name of Object.values(TOOLS)) {
      expect(byName.has(name)).toBe(true);
    }
    expect(byName.get(TOOLS.run)!.annotations).toMatchObject({
      destructiveHint: true,
      readOnlyHint: false,
    });
    for (const name of [TOOLS.triage, TOOLS.dryRun, TOOLS.summary]) {
      expect(byName.get(name)!.annotations).toMatchObject({
        destructiveHint: false,
        readOnlyHint: true,
      });
    }
    expect(byName.get(TOOLS.run)!.inputSchema.required).toEqual(
      expect.arrayContaining(['entityRef', 'actionId']),
    );
  });

  it('triages a vendor outage as a vendor incident and an auth failure as our integration', async () => {
    await sandbox.setScenario('vendor-outage');
    const outage = await triageUntil(
      OWNED,
      r => r.branch === 'vendor-incident',
      'the vendor outage in triage',
    );
    expect(outage).toMatchObject({
      entityRef: OWNED,
      integration: 'vastai-integration',
      severity: 'P1',
      side: 'vastai',
    });
    expect(outage.verdict).toEqual(expect.any(String));
    expect(outage.path.length).toBeGreaterThan(0);
    expect(outage.path[0]).toMatchObject({
      question: expect.any(String),
      evidence: expect.any(String),
    });
    expect(outage.actions.map((a: any) => a.id)).toContain('enable-fallback');

    await sandbox.setScenario('auth-failure');
    const auth = await triageUntil(
      OWNED,
      r => r.branch === 'our-integration',
      'the auth failure in triage',
    );
    expect(auth).toMatchObject({ severity: 'P1', side: 'ours' });
    expect(auth.actions.map((a: any) => a.id)).toContain('rotate-api-key');
    await sandbox.setScenario('healthy');
  });

  it('refuses rotate-api-key to assistants while vastaiIncident.mcp.allowKeyRotation is off, writing nothing', async () => {
    const writesBefore = (await kubeWrites()).length;
    const keyCallsBefore = sandbox.vastCalls().byIdentity.operator ?? 0;
    const refused = await call(TOOLS.run, {
      entityRef: OWNED,
      actionId: 'rotate-api-key',
      idempotencyKey: 'mcp-test-rotate',
    });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^NotAllowedError: /);
    expect(refused.text).toContain('vastaiIncident.mcp.allowKeyRotation');
    expect((await kubeWrites()).slice(writesBefore)).toEqual([]);
    expect(sandbox.vastCalls().byIdentity.operator ?? 0).toBe(keyCallsBefore);
  });

  it('refuses the guest on vastai-batch-worker, which it does not own, with zero Kubernetes writes', async () => {
    await sandbox.setScenario('rate-limited');
    const writesBefore = await kubeWrites();
    const attempts = [
      await call(TOOLS.run, { entityRef: NOT_OWNED, actionId: 'queue-mode' }),
      await call(TOOLS.run, {
        entityRef: NOT_OWNED,
        actionId: 'rollout-restart',
        idempotencyKey: 'mcp-test-deny',
      }),
      await call(TOOLS.dryRun, {
        entityRef: NOT_OWNED,
        actionId: 'queue-mode',
      }),
    ];
    for (const attempt of attempts) {
      expect(attempt.isError).toBe(true);
      expect(attempt.text).toMatch(
        /^NotAllowedError: Not allowed to run .* on component:default\/vastai-batch-worker \(needs vastai\.remediation\.execute\)/,
      );
    }
    const writesAfter = await kubeWrites();
    expect(writesAfter.length).toBe(writesBefore.length);
    expect(writesAfter.slice(writesBefore.length)).toEqual([]);

    // Each refusal is on record, as the guest's, as the route's refusals are.
    const denied = await auditEntries(
      backend.baseUrl,
      guest,
      'vastai-batch-worker',
      'denied',
    );
    expect(denied).toHaveLength(3);
    expect(denied.every(e => e.actor === 'user:default/guest')).toBe(true);
  });

  it('dry-runs, then runs queue-mode on the guest’s own vastai-integration in a 429 storm, which heals it (verified) and is audited', async () => {
    await sandbox.setScenario('rate-limited');
    await triageUntil(
      OWNED,
      r =>
        r.branch === 'our-integration' &&
        r.actions.some((a: any) => a.id === 'queue-mode'),
      'the 429 storm in triage',
    );

    const writesBefore = (await kubeWrites()).length;
    const dry = await call(TOOLS.dryRun, {
      entityRef: OWNED,
      actionId: 'queue-mode',
    });
    expect(dry.isError).toBe(false);
    expect(dry.output.run).toMatchObject({
      status: 'dry-run',
      dryRun: true,
      actor: 'user:default/guest',
    });
    expect(
      dry.output.run.diff
        .map((l: any) => `${l.path} ${l.before}->${l.after}`)
        .join('\n'),
    ).toMatch(/RATE_LIMIT_MODE.*->queue/);
    expect(
      (await kubeWrites()).slice(writesBefore).filter((w: any) => !w.dryRun),
    ).toEqual([]);

    const applied = await call(TOOLS.run, {
      entityRef: OWNED,
      actionId: 'queue-mode',
      idempotencyKey: 'mcp-test-queue-1',
      waitSeconds: 45,
    });
    expect(applied.isError).toBe(false);
    expect(applied.output.idempotencyKey).toBe('mcp-test-queue-1');
    expect(applied.output.run).toMatchObject({
      actionId: 'queue-mode',
      dryRun: false,
      actor: 'user:default/guest',
    });
    const runId = applied.output.run.runId;
    const realWrites = (await kubeWrites())
      .slice(writesBefore)
      .filter((w: any) => !w.dryRun && w.method === 'PATCH');
    expect(realWrites).toHaveLength(1);
    expect(realWrites[0]).toMatchObject({
      resource: 'deployments',
      name: 'vastai-integration',
    });

    // Followed as an assistant follows it, when the call's wait was not enough.
    const status = await eventually(
      () => call(TOOLS.status, { entityRef: OWNED, runId }),
      {
        what: 'the queue-mode run to end',
        accept: answer =>
          answer.isError || answer.output.run.status !== 'running',
        timeoutMs: 120_000,
        intervalMs: 2_000,
      },
    );
    expect(status.isError).toBe(false);
    const run = status.output.run;
    expect(applied.output.finished).toBe(
      applied.output.run.status !== 'running',
    );
    expect(run.status).toBe('succeeded');
    expect(run.verification).toMatchObject({
      rolloutComplete: true,
      recovered: true,
      signal: '429 rate',
    });

    // The same key again: the stored run, nothing written again.
    const writesAfterRun = (await kubeWrites()).length;
    const replay = await call(TOOLS.run, {
      entityRef: OWNED,
      actionId: 'queue-mode',
      idempotencyKey: 'mcp-test-queue-1',
      waitSeconds: 0,
    });
    expect(replay.output.run.runId).toBe(runId);
    expect((await kubeWrites()).length).toBe(writesAfterRun);

    // The audit rows the route writes: the dry run and the verified run, as the guest's.
    const history = await getJson(
      backend.baseUrl,
      `${API}/vastai-integration/actions/history`,
      guest.token,
    );
    expect(history.status).toBe(200);
    const rows = history.body.entries.filter(
      (e: any) => e.actor === 'user:default/guest',
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actionId: 'queue-mode',
          dryRun: true,
          outcome: 'dry-run',
        }),
        expect.objectContaining({
          runId,
          actionId: 'queue-mode',
          dryRun: false,
          outcome: 'succeeded',
          idempotencyKey: 'mcp-test-queue-1',
        }),
      ]),
    );

    // Healed, as the triage now reads it.
    await triageUntil(
      OWNED,
      r => r.branch !== 'our-integration',
      'the 429 storm to end in triage',
    );
  });

  it('summarises the open incident of the entity: timeline and comms status', async () => {
    const none = await call(TOOLS.summary, { entityRef: NOT_OWNED });
    expect(none.isError).toBe(false);
    expect(none.output).toMatchObject({ open: false, incident: null });

    const declared = await callJson(
      backend.baseUrl,
      guest.token,
      'POST',
      '/api/vastai-incident/v1/incidents',
      {
        entityRef: OWNED,
        title: 'Vast.ai 429 storm',
        severity: 'P2',
        impact: 'GPU jobs are queued',
      },
    );
    expect(declared.status).toBe(201);
    const summary = await call(TOOLS.summary, { entityRef: OWNED });
    expect(summary.isError).toBe(false);
    expect(summary.output).toMatchObject({
      entityRef: OWNED,
      open: true,
      incident: {
        id: declared.body.id,
        title: 'Vast.ai 429 storm',
        severity: 'P2',
      },
      detailsWithheld: false,
      comms: {
        slack: { sent: 0, failed: 0, last: null },
        statuspage: { sent: 0, failed: 0, last: null },
      },
    });
    expect(summary.output.timeline.map((e: any) => e.kind)).toContain(
      'declared',
    );
  });
});
