import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JsonObject } from '@backstage/types';
import { startSandbox, type Sandbox } from '@internal/vastai-sandbox';
import {
  callJson,
  signInAsGuest,
  waitForDemoCatalog,
} from '../testing/portalClient';
import { sandboxConfig } from '../testing/sandboxConfig';
import {
  PortalTestBackend,
  startPortalTestBackend,
} from '../testing/startPortalTestBackend';

jest.setTimeout(300_000);

const BORROWER = 'component:default/vastai-batch-borrower';
const ENTITY_API =
  '/api/vastai-incident/v1/entities/default/component/vastai-batch-borrower';
const INCIDENTS = '/api/vastai-incident/v1/incidents';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const BINDING_MISSING = `${BORROWER} is not bound to integration "vastai-batch-worker": vastaiIncident.integrations.vastai-batch-worker.entities does not list it`;

/** The config as it was before the demo's binding: the borrower bound to the batch worker too. */
const boundBefore: JsonObject = {
  vastaiIncident: {
    integrations: {
      'vastai-batch-worker': {
        entities: ['component:default/vastai-batch-worker', BORROWER],
      },
    },
  },
};

/**
 * The demo's `vastai-batch-borrower` is owned by the guest's team and annotated with the batch
 * worker's integration, which app-config.yaml does not bind to it. Through the whole portal (the
 * real catalog, permission backend and demo policy, which lets the guest act on what its team
 * owns) every route of the plugin refuses it, naming the missing binding, and nothing reaches
 * the batch worker's deployment, Secret, vendor key or channels.
 */
describe('an entity pointed at an integration not bound to it, through the whole portal', () => {
  let sandbox: Sandbox;
  let backend: PortalTestBackend | undefined;
  let directory: string;
  let keptIncident: string;

  async function boot(config: JsonObject = {}) {
    backend = await startPortalTestBackend({
      database: { client: 'better-sqlite3', connection: { directory } },
      config: [sandboxConfig(sandbox), config],
    });
    await waitForDemoCatalog(
      backend.baseUrl,
      (
        await signInAsGuest(backend.baseUrl)
      ).token,
    );
    return {
      baseUrl: backend.baseUrl,
      guest: await signInAsGuest(backend.baseUrl),
    };
  }

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'vastai-binding-'));
    sandbox = await startSandbox({
      scenario: 'rate-limited',
      prometheus: false,
    });
    // An incident kept from a time the borrower was bound (the records outlive the binding).
    const before = await boot(boundBefore);
    const declared = await callJson(
      before.baseUrl,
      before.guest.token,
      'POST',
      INCIDENTS,
      {
        entityRef: BORROWER,
        title: 'Batch jobs failing',
        impact: 'Jobs queue up',
        severity: 'P3',
      },
    );
    if (
      declared.status !== 201 ||
      declared.body.integration !== 'vastai-batch-worker'
    ) {
      throw new Error(
        `declaring the kept incident: ${declared.status} ${JSON.stringify(
          declared.body,
        )}`,
      );
    }
    keptIncident = declared.body.id;
    await backend!.stop();
    backend = undefined;
  });

  afterAll(async () => {
    await backend?.stop();
    await sandbox?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses it on every route with a 403 naming the binding, with zero Kubernetes writes and nothing sent', async () => {
    const { baseUrl, guest } = await boot();
    sandbox.kube.clearWrites();
    sandbox.receivers.clear();
    const vendorBefore = sandbox.vastCalls().byIdentity.operator ?? 0;
    const on = `${INCIDENTS}/${keptIncident}`;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `${ENTITY_API}/triage`],
      ['GET', `${ENTITY_API}/metrics/error-ratio`],
      ['GET', `${ENTITY_API}/pods`],
      ['GET', `${ENTITY_API}/logs`],
      ...[
        'enable-fallback',
        'disable-fallback',
        'queue-mode',
        'direct-mode',
        'rollout-restart',
        'rotate-api-key',
      ].flatMap(actionId => [
        ['POST', `${ENTITY_API}/actions/${actionId}`, { dryRun: true }] as [
          string,
          string,
          unknown,
        ],
        ['POST', `${ENTITY_API}/actions/${actionId}`, { dryRun: false }] as [
          string,
          string,
          unknown,
        ],
      ]),
      ['GET', `${ENTITY_API}/actions/history`],
      ['GET', `${ENTITY_API}/actions/runs/${UNKNOWN}`],
      ['POST', `${ENTITY_API}/actions/runs/${UNKNOWN}/approve`, {}],
      [
        'POST',
        INCIDENTS,
        { entityRef: BORROWER, title: 'Again', impact: 'x', severity: 'P3' },
      ],
      ['GET', `${INCIDENTS}?entityRef=${BORROWER}`],
      ['GET', on],
      ['PATCH', on, { status: 'identified' }],
      ['GET', `${on}/timeline`],
      ['POST', `${on}/notes`, { text: 'note' }],
      ['GET', `${on}/comms/preview?channel=slack`],
      ['GET', `${on}/comms`],
      ['POST', `${on}/comms`, { channel: 'slack', text: 'hello' }],
      ['POST', `${on}/comms`, { channel: 'statuspage', text: 'hello' }],
      ['POST', `${on}/comms/${UNKNOWN}/retry`],
      ['POST', `${on}/evidence`],
      ['GET', `${on}/evidence`],
      ['GET', `${on}/evidence/${UNKNOWN}`],
      ['GET', `${on}/evidence/${UNKNOWN}/download`],
      ['GET', `${on}/postmortem`],
      ['PUT', `${on}/postmortem`, { markdown: '# x' }],
      ['GET', `${on}/postmortem/download`],
    ];
    for (const [index, [method, route, body]] of routes.entries()) {
      const res = await callJson(baseUrl, guest.token, method, route, body, {
        'idempotency-key': `binding-${index}`,
      });
      expect({
        method,
        route,
        status: res.status,
        error: res.body?.error,
      }).toEqual({
        method,
        route,
        status: 403,
        error: expect.objectContaining({
          name: 'NotAllowedError',
          message: BINDING_MISSING,
        }),
      });
    }
    expect(sandbox.kube.writes()).toEqual([]);
    expect(sandbox.receivers.slackMessages()).toEqual([]);
    expect(sandbox.receivers.statuspageRequests()).toEqual([]);
    expect(sandbox.vastCalls().byIdentity.operator ?? 0).toBe(vendorBefore);

    // The entity the integration is bound to is served as before (its owners' team may read it).
    const bound = await callJson(
      baseUrl,
      guest.token,
      'GET',
      '/api/vastai-incident/v1/entities/default/component/vastai-batch-worker/triage',
    );
    expect(bound.status).toBe(200);
  });
});
