/**
 * The secrets canary, on the whole plugin as wired (startTestBackend) against the sandbox: the
 * Vast.ai keys of the sandbox's integration (the original one and the one a rotation creates) and
 * the operator key, raw, base64 and URL-encoded, are planted wherever an upstream or a person
 * could put them (Kubernetes events, pod logs, incident texts, bad input). No form of them may
 * come back in any HTTP answer (body or header), message sent to the sandbox's Slack and
 * Statuspage receivers, evidence file (unpacked), postmortem, log line, auditor event or database
 * row.
 */
import { randomBytes } from 'node:crypto';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import {
  ACTION_IDS,
  METRIC_QUERY_IDS,
} from '@vastai-incident/backstage-plugin-common';
import { Sandbox, startSandbox } from '@internal/vastai-sandbox';
import type { Knex } from 'knex';
import request from 'supertest';
import { createVendorKeyClient, VendorKeyClient } from './actions/vendorKeys';
import { readTarGz } from './incidents/evidence';
import { vastaiIncidentPlugin } from './plugin';
import {
  buildActions,
  ENTITY_REF,
  eventually,
  fakePermissions,
  INTEGRATION,
  leakForms,
  recordingAuditor,
  recordingLogger,
  sandboxConfig,
} from './testing/actionsTestKit';
import { nodeHttpClient } from './upstream';

jest.setTimeout(240_000);

const NS = 'vastai';
const ENTITIES = '/api/vastai-incident/v1/entities/default/component';
const BASE = `${ENTITIES}/vastai-integration`;
const INCIDENTS = '/api/vastai-incident/v1/incidents';
/** An operator key of the shape Vast.ai issues (64 hex digits), known to the plugin's config. */
const OPERATOR_KEY = randomBytes(32).toString('hex');
const STATUSPAGE_KEY = `canary-statuspage-${randomBytes(8).toString('hex')}`;

const ENTITY: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'vastai-integration',
    namespace: 'default',
    annotations: { 'vast.ai/integration': INTEGRATION },
  },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/team',
  },
};

/** The sandbox as every upstream, its receivers as the integration's Slack and status page. */
function canaryConfig(sandbox: Sandbox): JsonObject {
  const config = sandboxConfig(sandbox.urls, {}, OPERATOR_KEY);
  const plugin = config.vastaiIncident as JsonObject;
  const integrations = plugin.integrations as JsonObject;
  return {
    ...config,
    vastaiIncident: {
      ...plugin,
      integrations: {
        [INTEGRATION]: {
          ...(integrations[INTEGRATION] as JsonObject),
          entities: [ENTITY_REF],
          slack: {
            webhookUrl: `${sandbox.urls.receivers}/slack/webhook/canary-hook`,
          },
          statuspage: {
            apiBaseUrl: `${sandbox.urls.receivers}/statuspage/v1`,
            pageId: 'canary-page',
            apiKey: STATUSPAGE_KEY,
            componentId: 'vastai-integration',
          },
        },
      },
    },
  };
}

/** One answer as the client saw it; `body` is the text (for a download: the unpacked files). */
interface Answer {
  what: string;
  status: number;
  headers: unknown;
  body: string;
}

/** Every place a secret could leak to, as text, by name. */
type Haystacks = Array<[where: string, text: string]>;

/** `<secret> (<form>) in <where>` for every form of every secret found in any haystack. */
function leaks(secrets: Record<string, string>, haystacks: Haystacks) {
  const formNames = ['raw', 'base64', 'base64 unpadded', 'URL-encoded'];
  const found: string[] = [];
  for (const [where, text] of haystacks) {
    for (const [name, secret] of Object.entries(secrets)) {
      leakForms(secret).forEach((form, i) => {
        if (text.includes(form))
          found.push(`${name} (${formNames[i]}) in ${where}`);
      });
    }
  }
  return [...new Set(found)];
}

/** Every row of every table of the plugin's database, as one text. */
async function dumpDatabase(knex: Knex): Promise<string> {
  const tables = (await knex('sqlite_master')
    .where({ type: 'table' })
    .pluck('name')) as string[];
  const rows: Record<string, unknown[]> = {};
  for (const table of tables) rows[table] = await knex(table).select();
  return JSON.stringify(rows);
}

describe('secrets canary', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let sandbox: Sandbox;
  let knex: Knex;
  let server: any;
  const logs = recordingLogger();
  const auditor = recordingAuditor();
  const answers: Answer[] = [];

  const secretValue = () =>
    sandbox.kube.getSecretData(NS, 'vastai-secrets')!['api-key'];

  beforeAll(async () => {
    sandbox = await startSandbox({
      prometheus: false,
      operatorKey: OPERATOR_KEY,
      kube: { rolloutStepMs: 100 },
    });
    knex = await databases.init('SQLITE_3');
    ({ server } = await startTestBackend({
      features: [
        vastaiIncidentPlugin,
        mockServices.rootConfig.factory({ data: canaryConfig(sandbox) }),
        mockServices.database.factory({ knex }),
        catalogServiceMock.factory({ entities: [ENTITY] }),
        createServiceFactory({
          service: coreServices.permissions,
          deps: {},
          factory: () => fakePermissions(),
        }),
        createServiceFactory({
          service: coreServices.auditor,
          deps: {},
          factory: () => auditor,
        }),
        // Every logger of the backend (the plugin's and the error handler's) derives from it.
        createServiceFactory({
          service: coreServices.rootLogger,
          deps: {},
          factory: () => logs,
        }),
      ],
    }));
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  /** Calls the plugin as a signed-in user and keeps the answer for the canary. */
  async function call(
    method: 'get' | 'post' | 'put' | 'patch',
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) {
    let req = request(server)
      [method](path)
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    for (const [name, value] of Object.entries(options.headers ?? {}))
      req = req.set(name, value);
    if (typeof options.body === 'string')
      req = req.set('Content-Type', 'application/json');
    const res = await (options.body === undefined
      ? req
      : req.send(options.body as object));
    answers.push({
      what: `${method.toUpperCase()} ${path}`,
      status: res.status,
      headers: res.headers,
      body: res.text ?? '',
    });
    return res;
  }

  /** A download, unpacked when it is a .tar.gz: each file counts as an answer of its own. */
  async function download(path: string) {
    const res = await request(server)
      .get(path)
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .buffer(true)
      .parse((stream, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    const content = res.body as Buffer;
    const files = String(res.headers['content-type']).includes('gzip')
      ? await readTarGz(content)
      : new Map([['(file)', content.toString('utf8')]]);
    for (const [name, text] of files) {
      answers.push({
        what: `GET ${path} ${name}`,
        status: res.status,
        headers: res.headers,
        body: text,
      });
    }
    return files;
  }

  /** Puts every form of the key where the Kubernetes API and the pods' logs will show it. */
  function plantInCluster(key: string) {
    for (const form of leakForms(key)) {
      sandbox.kube.addEvent(NS, {
        involvedObject: { kind: 'Deployment', name: INTEGRATION },
        type: 'Warning',
        reason: 'FailedCreate',
        message: `container app refused to start with the Vast.ai key ${form} from its Secret`,
      });
      for (const pod of sandbox.kube.runningPods(NS, INTEGRATION))
        sandbox.kube.appendPodLog(
          NS,
          pod.name,
          `ERROR Vast.ai answered 401 for the key ${form}`,
        );
    }
  }

  async function readAll() {
    expect((await call('get', `${BASE}/triage`)).status).toBe(200);
    for (const id of METRIC_QUERY_IDS)
      expect((await call('get', `${BASE}/metrics/${id}?range=1h`)).status).toBe(
        200,
      );
    expect((await call('get', `${BASE}/pods`)).status).toBe(200);
    expect((await call('get', `${BASE}/logs?sinceMinutes=10`)).status).toBe(
      200,
    );
    expect((await call('get', `${BASE}/actions/history`)).status).toBe(200);
  }

  it('no form of the old or new Vast.ai key reaches an answer, a sent message, an evidence file, a postmortem, a log line, an auditor event or a row', async () => {
    await sandbox.setScenario('auth-failure');
    sandbox.receivers.clear();
    const oldKey = secretValue();
    plantInCluster(oldKey);
    const triage = await eventually(() => call('get', `${BASE}/triage`), {
      what: 'the planted warning events to show in triage',
      accept: res =>
        JSON.stringify(res.body).includes(
          'refused to start with the Vast.ai key',
        ),
      intervalMs: 200,
      timeoutMs: 20_000,
    });
    expect(triage.status).toBe(200);
    await readAll();

    // Rotate through the plugin: a new key is created at the sandbox's Vast.ai.
    for (const id of ACTION_IDS)
      expect(
        (
          await call('post', `${BASE}/actions/${id}`, {
            body: { dryRun: true },
          })
        ).status,
      ).toBe(200);
    const started = await call('post', `${BASE}/actions/rotate-api-key`, {
      body: { dryRun: false },
      headers: { 'Idempotency-Key': `canary-rotate-${Date.now()}` },
    });
    expect(started.status).toBe(202);
    const run = await eventually(
      () => call('get', `${BASE}/actions/runs/${started.body.runId}`),
      {
        what: 'the rotation to finish',
        accept: res => res.body.status !== 'running',
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    expect(run.body.status).toBe('succeeded');
    const newKey = secretValue();
    expect(newKey).not.toBe(oldKey);
    plantInCluster(newKey);
    plantInCluster(oldKey);
    await readAll();

    // An incident whose texts carry every form of both keys, pasted by mistake.
    const pasted = [oldKey, newKey, OPERATOR_KEY].flatMap(leakForms).join(' ');
    const declared = await call('post', INCIDENTS, {
      body: {
        entityRef: ENTITY_REF,
        title: `Vast.ai 401s since key ${oldKey}`,
        severity: 'P2',
        impact: `Every Vast.ai call fails; keys tried: ${pasted}`,
      },
    });
    expect(declared.status).toBe(201);
    const incident = `${INCIDENTS}/${declared.body.id}`;
    expect(
      (
        await call('patch', incident, {
          body: { impact: `Still failing with ${pasted}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call('post', `${incident}/notes`, { body: { text: pasted } }))
        .status,
    ).toBe(201);
    for (const channel of ['slack', 'statuspage']) {
      const preview = await call(
        'get',
        `${incident}/comms/preview?channel=${channel}`,
      );
      expect(preview.status).toBe(200);
      const sent = await call('post', `${incident}/comms`, {
        body: { channel, text: `${preview.body.text}\n${pasted}` },
        headers: { 'Idempotency-Key': `canary-${channel}-${Date.now()}` },
      });
      expect({ channel, status: sent.status }).toEqual({
        channel,
        status: 201,
      });
    }
    for (const path of ['', '/timeline', '/comms', '/evidence'])
      expect((await call('get', `${incident}${path}`)).status).toBe(200);
    expect((await call('get', `${INCIDENTS}?open=true`)).status).toBe(200);

    const bundle = await call('post', `${incident}/evidence`);
    expect(bundle.status).toBe(202);
    await eventually(
      () => call('get', `${incident}/evidence/${bundle.body.id}`),
      {
        what: 'the evidence bundle to be ready',
        accept: res => res.body.status !== 'building',
        timeoutMs: 60_000,
        intervalMs: 300,
      },
    );
    const files = await download(
      `${incident}/evidence/${bundle.body.id}/download`,
    );
    expect(files.size).toBeGreaterThan(5);

    const draft = await call('get', `${incident}/postmortem`);
    expect(draft.status).toBe(200);
    expect(
      (
        await call('put', `${incident}/postmortem`, {
          body: { markdown: `${draft.body.markdown}\n\nKeys: ${pasted}` },
        })
      ).status,
    ).toBe(200);
    await call('get', `${incident}/postmortem`);
    await download(`${incident}/postmortem/download`);

    expect(sandbox.receivers.slackMessages().length).toBeGreaterThan(0);
    expect(sandbox.receivers.statuspageRequests().length).toBeGreaterThan(0);
    const haystacks: Haystacks = [
      ...answers.map((a): [string, string] => [
        `the answer to ${a.what}`,
        `${JSON.stringify(a.headers)}\n${a.body}`,
      ]),
      ['Slack', JSON.stringify(sandbox.receivers.slackMessages())],
      ['Statuspage', JSON.stringify(sandbox.receivers.statuspageRequests())],
      ['the logs', logs.lines.join('\n')],
      ['the auditor events', JSON.stringify(auditor.events)],
      ['the database', await dumpDatabase(knex)],
    ];
    expect(
      leaks(
        { 'old key': oldKey, 'new key': newKey, 'operator key': OPERATOR_KEY },
        haystacks,
      ),
    ).toEqual([]);
    // The plants were seen (redacted), so the canary looked where the keys were.
    expect(JSON.stringify(answers)).toContain('[REDACTED]');
  });

  it('bad input carrying a key (entity name, path, query, header, body field or name) is refused without echoing it', async () => {
    const key = secretValue();
    // The open incident of the entity (one at most), or a new one.
    const open = await call(
      'get',
      `${INCIDENTS}?open=true&entityRef=${encodeURIComponent(ENTITY_REF)}`,
    );
    const id =
      open.body.items[0]?.id ??
      (
        await call('post', INCIDENTS, {
          body: { entityRef: ENTITY_REF, title: 'Canary', impact: 'none' },
        })
      ).body.id;
    expect(id).toEqual(expect.any(String));
    const incident = `${INCIDENTS}/${id}`;
    const valid = { entityRef: ENTITY_REF, title: 't', impact: 'i' };
    const base64 = Buffer.from(key).toString('base64');
    answers.length = 0;
    const cases: Array<
      [
        status: number,
        method: 'get' | 'post' | 'put' | 'patch',
        path: string,
        body?: unknown,
        headers?: Record<string, string>,
      ]
    > = [];
    for (const form of [key, base64, base64.replace(/=+$/, '')]) {
      const q = encodeURIComponent(form);
      cases.push(
        // Every form is longer than an entity name may be (63), so this is bad input too.
        [400, 'get', `${ENTITIES}/${q}/triage`],
        [400, 'get', `${ENTITIES}/${q}!/pods`],
        [400, 'get', `${BASE}/metrics/${q}`],
        [400, 'get', `${BASE}/metrics/error-ratio?range=${q}`],
        [400, 'get', `${BASE}/triage?api_key=${q}`],
        [400, 'get', `${BASE}/triage?${q}=1`],
        [400, 'get', `${BASE}/logs?sinceMinutes=${q}`],
        [400, 'get', `${BASE}/actions/history?limit=${q}`],
        [400, 'get', `${BASE}/actions/runs/${q}`],
        [400, 'post', `${BASE}/actions/${q}`, { dryRun: true }],
        [400, 'post', `${BASE}/actions/rollout-restart`, { dryRun: form }],
        [
          400,
          'post',
          `${BASE}/actions/rollout-restart`,
          { dryRun: true, [form]: 1 },
        ],
        [
          400,
          'post',
          `${BASE}/actions/rotate-api-key`,
          { dryRun: false, newApiKey: `${form} x` },
          { 'Idempotency-Key': 'canary-bad-1' },
        ],
        [
          400,
          'post',
          `${BASE}/actions/rollout-restart`,
          { dryRun: false },
          { 'Idempotency-Key': `${form} x` },
        ],
        [
          400,
          'post',
          `${BASE}/actions/rotate-api-key`,
          `{"dryRun": false, "newApiKey": "${form}`,
        ],
        [400, 'post', INCIDENTS, { ...valid, severity: form }],
        [
          400,
          'post',
          INCIDENTS,
          { ...valid, entityRef: `component:default/${form}!` },
        ],
        [
          400,
          'post',
          INCIDENTS,
          { ...valid, commander: `group:default/${form}` },
        ],
        [400, 'post', INCIDENTS, { ...valid, [form]: 'x' }],
        [400, 'get', `${INCIDENTS}?status=${q}`],
        [400, 'get', `${INCIDENTS}/${q}`],
        [400, 'get', `${incident}/comms/preview?channel=${q}`],
        [400, 'post', `${incident}/comms`, { channel: form, text: 'x' }],
        [400, 'patch', incident, { status: form }],
        [400, 'post', `${incident}/evidence`, { [form]: 1 }],
        [400, 'put', `${incident}/postmortem`, { markdown: 'x', [form]: 1 }],
      );
    }
    for (const [status, method, path, body, headers] of cases) {
      const res = await call(method, path, { body, headers });
      expect({ method, path, status: res.status }).toEqual({
        method,
        path,
        status,
      });
    }
    const haystacks: Haystacks = [
      ...answers.map((a): [string, string] => [
        `the answer to ${a.what}`,
        `${JSON.stringify(a.headers)}\n${a.body}`,
      ]),
      ['the logs', logs.lines.join('\n')],
      ['the auditor events', JSON.stringify(auditor.events)],
    ];
    expect(leaks({ key, 'operator key': OPERATOR_KEY }, haystacks)).toEqual([]);
    // The answers still say what was wrong.
    expect(
      answers.find(a => a.what.includes('/metrics/error-ratio?range='))!.body,
    ).toMatch(/range: must be one of/);
  });

  it('verification evidence passes the redactor: a vendor error echoing the old key is kept without it', async () => {
    await sandbox.setScenario('healthy');
    const oldKey = secretValue();
    const real = createVendorKeyClient({
      baseUrl: `${sandbox.urls.vastApi}/api/v0`,
      operatorApiKey: OPERATOR_KEY,
      http: nodeHttpClient,
      timeoutMs: 3000,
      maxBytes: 1 << 20,
    });
    // A client that quotes the vendor's words as they come (the key in them).
    const vendorKeys: VendorKeyClient = {
      ...real,
      deleteKey: async () => {
        throw new Error(
          `Vast.ai refused to delete key ${oldKey}: still in use`,
        );
      },
    };
    const kit = await buildActions({
      config: canaryConfig(sandbox),
      knex,
      clients: { vendorKeys },
    });
    const user = mockCredentials.user('user:default/alice');
    const target = {
      credentials: user,
      entityRef: ENTITY_REF,
      actionId: 'rotate-api-key' as const,
      dryRun: false,
      idempotencyKey: `canary-evidence-${Date.now()}`,
    };
    await kit.service.authorize(target);
    const { run } = await kit.service.run({
      ...target,
      integration: kit.service.integration(INTEGRATION)!,
    });
    await kit.service.idle();
    const done = (await kit.service.getRun(ENTITY_REF, run.runId))!;
    expect(done.status).toBe('succeeded');
    const evidence = done.verification!.evidence.join('\n');
    expect(evidence).toMatch(
      /could not be deleted at Vast\.ai \(.*\[REDACTED\]/,
    );
    const newKey = secretValue();
    expect(
      leaks({ 'old key': oldKey, 'new key': newKey }, [
        ['the run', JSON.stringify(done)],
        ['the history', JSON.stringify(await kit.service.history(ENTITY_REF))],
        ['the logs', kit.logger.lines.join('\n')],
        ['the auditor events', JSON.stringify(kit.auditor.events)],
      ]),
    ).toEqual([]);
  });
});
