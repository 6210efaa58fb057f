import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import Router from 'express-promise-router';
import request from 'supertest';
import { readIncidentsConfig } from './commsConfig';
import { readTarGz } from './evidence';
import { createIncidentsRouter } from './router';
import { IncidentService } from './service';
import { IncidentStore } from './store';

jest.setTimeout(60_000);

const API = '/api/vastai-incident/v1/incidents';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const entity = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'vast.ai/integration': 'vastai-integration' },
  },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/team',
  },
});

/** Decides by permission name and entity; everything else allowed. */
const permissionsWhere = (deny: (name: string, ref?: string) => boolean) =>
  createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => ({
      authorize: async (requests: any[]) =>
        requests.map(r => ({
          result: deny(r.permission.name, r.resourceRef)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
        })),
      authorizeConditional: async (requests: any[]) =>
        requests.map(() => ({ result: AuthorizeResult.ALLOW })),
    }),
  });

/** The incidents router mounted as the lead mounts it, without the signals backend. */
const incidentsPlugin = createBackendPlugin({
  pluginId: 'vastai-incident',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        database: coreServices.database,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const store = await IncidentStore.create({ database: deps.database });
        const incidents = new IncidentService({
          store,
          logger: deps.logger,
          config: readIncidentsConfig(deps.config),
        });
        const router = Router();
        router.use('/v1', await createIncidentsRouter({ ...deps, incidents }));
        deps.httpRouter.use(router);
      },
    });
  },
});

async function backend(extra: any[] = []) {
  const { server } = await startTestBackend({
    features: [
      incidentsPlugin,
      mockServices.rootConfig.factory({ data: {} }),
      catalogServiceMock.factory({
        entities: [entity('vastai-integration'), entity('batch-worker')],
      }),
      ...extra,
    ],
  });
  return server;
}

const user = () => mockCredentials.user.header();
const declare = (server: any, body: Record<string, unknown>) =>
  request(server).post(API).set('Authorization', user()).send(body);
const VALID = {
  entityRef: 'component:default/vastai-integration',
  title: 'Vast.ai 503s',
  severity: 'P2',
  impact: 'Offers stale',
};

describe('incidents router', () => {
  it('answers 401 without credentials', async () => {
    const server = await backend([
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
    ]);
    expect((await request(server).get(API)).status).toBe(401);
    expect((await request(server).post(API).send(VALID)).status).toBe(401);
    expect((await request(server).get(`${API}/${UNKNOWN_ID}`)).status).toBe(
      401,
    );
  });

  it.each([
    [{ ...VALID, title: '' }, /title/],
    [{ ...VALID, severity: 'P0' }, /severity/],
    [{ ...VALID, entityRef: 'not a ref/x:y:z' }, /entityRef/],
    [{ ...VALID, commander: 'group:default/team' }, /commander.*user/],
    [{ ...VALID, extra: 1 }, /extra|Unrecognized/],
    [{ title: 'x', impact: 'y' }, /entityRef/],
  ])('answers 400 on a bad declaration %#', async (body, message) => {
    const server = await backend();
    const res = await declare(server, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('runs the lifecycle and answers 400 / 404 / 409 where due', async () => {
    const server = await backend();
    const created = await declare(server, VALID);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'investigating',
      severity: 'P2',
      commander: 'user:default/mock',
      declaredBy: 'user:default/mock',
    });
    const id = created.body.id;
    expect((await declare(server, VALID)).status).toBe(409);
    expect(
      (await declare(server, { ...VALID, entityRef: 'component:default/nope' }))
        .status,
    ).toBe(404);

    const get = (path: string) =>
      request(server).get(path).set('Authorization', user());
    expect((await get(`${API}/${UNKNOWN_ID}`)).status).toBe(404);
    expect((await get(`${API}/not-a-uuid`)).status).toBe(400);
    expect((await get(`${API}?severity=P9`)).status).toBe(400);
    expect((await get(`${API}/${id}/comms/preview?channel=fax`)).status).toBe(
      400,
    );

    const patch = (body: unknown) =>
      request(server)
        .patch(`${API}/${id}`)
        .set('Authorization', user())
        .send(body as object);
    expect((await patch({})).status).toBe(400);
    expect((await patch({ status: 'done' })).status).toBe(400);
    const identified = await patch({
      status: 'identified',
      commander: 'user:default/bob',
    });
    expect(identified.status).toBe(200);
    expect(identified.body).toMatchObject({
      status: 'identified',
      commander: 'user:default/bob',
    });
    expect(
      (
        await request(server)
          .patch(`${API}/${UNKNOWN_ID}`)
          .set('Authorization', user())
          .send({ status: 'resolved' })
      ).status,
    ).toBe(404);

    const note = await request(server)
      .post(`${API}/${id}/notes`)
      .set('Authorization', user())
      .send({ text: 'Fallback looks good' });
    expect(note.status).toBe(201);
    expect(
      (
        await request(server)
          .post(`${API}/${id}/notes`)
          .set('Authorization', user())
          .send({})
      ).status,
    ).toBe(400);

    const preview = await get(`${API}/${id}/comms/preview?channel=slack`);
    expect(preview.status).toBe(200);
    expect(preview.body.text).toContain('*Status:* Identified');
    expect(preview.body.unavailableReason).toMatch(/no Slack webhook/);
    const send = await request(server)
      .post(`${API}/${id}/comms`)
      .set('Authorization', user())
      .send({ channel: 'slack', text: 'hi' });
    expect(send.status).toBe(409);
    expect(
      (
        await request(server)
          .post(`${API}/${id}/comms/${UNKNOWN_ID}/retry`)
          .set('Authorization', user())
      ).status,
    ).toBe(404);

    expect((await patch({ status: 'resolved' })).body.status).toBe('resolved');
    expect((await patch({ status: 'monitoring' })).status).toBe(409);

    const detail = await get(`${API}/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.timeline.map((e: any) => e.kind)).toEqual([
      'declared',
      'status',
      'commander',
      'note',
      'status',
    ]);

    const evidence = await request(server)
      .post(`${API}/${id}/evidence`)
      .set('Authorization', user());
    expect(evidence.status).toBe(202);
    let bundle = evidence.body;
    for (let i = 0; i < 50 && bundle.status === 'building'; i++) {
      await new Promise(r => setTimeout(r, 100));
      bundle = (await get(`${API}/${id}/evidence/${bundle.id}`)).body;
    }
    expect(bundle).toMatchObject({ status: 'ready', progress: 100 });
    expect((await get(`${API}/${id}/evidence/${UNKNOWN_ID}`)).status).toBe(404);
    const download = await get(`${API}/${id}/evidence/${bundle.id}/download`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toMatch(
      /attachment; filename=".*\.tar\.gz"/,
    );
    const files = await readTarGz(download.body);
    expect(
      [...files.keys()].some(n => n.endsWith('incident/timeline.json')),
    ).toBe(true);
    // No signals backend: the sources that need it are reported, not fatal.
    expect([...files.keys()].some(n => n.endsWith('errors.json'))).toBe(true);

    const postmortem = await get(`${API}/${id}/postmortem`);
    expect(postmortem.status).toBe(200);
    expect(postmortem.body.markdown).toContain('# Postmortem: Vast.ai 503s');
    expect(postmortem.body.markdown).toContain('Fallback looks good');
    expect(postmortem.body.markdown).toMatch(
      /Failed requests to Vast.ai in the window: unknown/,
    );
    const put = await request(server)
      .put(`${API}/${id}/postmortem`)
      .set('Authorization', user())
      .send({ markdown: '# Edited postmortem' });
    expect(put.status).toBe(200);
    expect(
      (
        await request(server)
          .put(`${API}/${id}/postmortem`)
          .set('Authorization', user())
          .send({ markdown: 5 })
      ).status,
    ).toBe(400);
    const md = await get(`${API}/${id}/postmortem/download`);
    expect(md.status).toBe(200);
    expect(md.headers['content-type']).toMatch(/text\/markdown/);
    expect(md.headers['content-disposition']).toContain(`postmortem-${id}.md`);
    expect(md.text).toBe('# Edited postmortem');

    // A new incident may be declared once the previous one is resolved.
    expect((await declare(server, VALID)).status).toBe(201);
    const list = await get(
      `${API}?entityRef=component:default/vastai-integration&status=resolved`,
    );
    expect(list.body.items.map((i: any) => i.id)).toEqual([id]);
  });

  it('answers 403 per permission, and lists only readable entities', async () => {
    const server = await backend([
      permissionsWhere(
        (name, ref) =>
          name === 'vastai.comms.send' ||
          (name === 'vastai.incident.read' &&
            ref === 'component:default/batch-worker'),
      ),
    ]);
    const ok = await declare(server, VALID);
    expect(ok.status).toBe(201);
    // May manage but not read the batch worker: declared, but hidden and 403 on read.
    const hidden = await declare(server, {
      ...VALID,
      entityRef: 'component:default/batch-worker',
    });
    expect(hidden.status).toBe(201);
    expect(
      (
        await request(server)
          .get(`${API}/${hidden.body.id}`)
          .set('Authorization', user())
      ).status,
    ).toBe(403);
    const send = await request(server)
      .post(`${API}/${ok.body.id}/comms`)
      .set('Authorization', user())
      .send({ channel: 'slack', text: 'hi' });
    expect(send.status).toBe(403);
    const list = await request(server).get(API).set('Authorization', user());
    expect(list.body.items.map((i: any) => i.entityRef)).toEqual([
      'component:default/vastai-integration',
    ]);
  });

  it('answers 403 for everything when every permission is denied', async () => {
    const server = await backend([
      mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
    ]);
    expect((await declare(server, VALID)).status).toBe(403);
    const list = await request(server).get(API).set('Authorization', user());
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });
});
