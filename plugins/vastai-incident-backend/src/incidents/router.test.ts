import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { WITHHELD_SUMMARY } from '../access/timelineScope';
import {
  BINDING_MISSING,
  INCIDENTS_API as API,
  INTEGRATION,
  INTRUDER,
  permissionsWhere,
  startIncidentsBackend,
} from '../testing/incidentsRouterKit';
import { readTarGz } from './evidence';

jest.setTimeout(60_000);

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const backend = (databaseId: TestDatabaseId, extra: any[] = []) =>
  startIncidentsBackend(databases, databaseId, extra);

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
  it.each(databases.eachSupportedId())(
    'answers 401 without credentials, on %p',
    async databaseId => {
      const { server } = await backend(databaseId, [
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
      ]);
      expect((await request(server).get(API)).status).toBe(401);
      expect((await request(server).post(API).send(VALID)).status).toBe(401);
      expect((await request(server).get(`${API}/${UNKNOWN_ID}`)).status).toBe(
        401,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'answers 400 on a bad declaration, on %p',
    async databaseId => {
      const { server } = await backend(databaseId);
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ ...VALID, title: '' }, /title/],
        [{ ...VALID, severity: 'P0' }, /severity/],
        [{ ...VALID, entityRef: 'not a ref/x:y:z' }, /entityRef/],
        [{ ...VALID, commander: 'group:default/team' }, /commander.*user/],
        [{ ...VALID, extra: 1 }, /extra|Unrecognized/],
        [{ title: 'x', impact: 'y' }, /entityRef/],
      ];
      for (const [body, message] of cases) {
        const res = await declare(server, body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(res.body.error.message).toMatch(message);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'answers 400, never 500, for refs and annotations longer than the database columns, on %p',
    async databaseId => {
      const { server, knex } = await backend(databaseId, [
        permissionsWhere(() => true),
      ]);
      const long = (n: number) => 'n'.repeat(n);
      const refs = [
        `component:${long(60)}/${long(150)}`,
        `component:default/${long(64)}`,
        `${long(64)}:default/x`,
      ];
      // Denied and allowed alike: a refusal is recorded with the ref, so it must fit too.
      for (const entityRef of refs) {
        const res = await declare(server, { ...VALID, entityRef });
        expect({ entityRef, status: res.status }).toEqual({
          entityRef,
          status: 400,
        });
        expect(res.body.error.message).toMatch(
          /must be at most 63 characters \(the catalog's limit\)/,
        );
        const listed = await request(server)
          .get(API)
          .query({ entityRef })
          .set('Authorization', user());
        expect(listed.status).toBe(400);
      }
      expect(await knex('vastai_access_audit').select()).toEqual([]);

      // Allowed: the commander's ref (given without namespace) and the annotation are stored.
      const allowed = await backend(databaseId);
      const commander = await declare(allowed.server, {
        ...VALID,
        commander: `user:${long(249)}`,
      });
      expect(commander.status).toBe(400);
      expect(commander.body.error.message).toMatch(
        /commander: name must be at most 63/,
      );
      const annotated = await declare(allowed.server, {
        ...VALID,
        entityRef: 'component:default/long-annotation',
      });
      expect(annotated.status).toBe(400);
      expect(annotated.body.error.message).toBe(
        'The vast.ai/integration annotation of component:default/long-annotation is longer than 255 characters',
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'runs the lifecycle and answers 400 / 404 / 409 where due, on %p',
    async databaseId => {
      const { server } = await backend(databaseId);
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
        (
          await declare(server, {
            ...VALID,
            entityRef: 'component:default/nope',
          })
        ).status,
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

      expect((await patch({ status: 'resolved' })).body.status).toBe(
        'resolved',
      );
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
      expect((await get(`${API}/${id}/evidence/${UNKNOWN_ID}`)).status).toBe(
        404,
      );
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
      expect(postmortem.body.markdown).toContain('# Incident: Vast.ai 503s');
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
      expect(md.headers['content-disposition']).toContain(
        `postmortem-${id}.md`,
      );
      expect(md.text).toBe('# Edited postmortem');

      // A new incident may be declared once the previous one is resolved.
      expect((await declare(server, VALID)).status).toBe(201);
      const list = await get(
        `${API}?entityRef=component:default/vastai-integration&status=resolved`,
      );
      expect(list.body.items.map((i: any) => i.id)).toEqual([id]);
    },
  );

  it.each(databases.eachSupportedId())(
    'answers 403 per permission, 404 for an incident the caller may not read, and lists only readable entities, on %p',
    async databaseId => {
      const { server, knex } = await backend(databaseId, [
        permissionsWhere(
          (name, ref) =>
            name === 'vastai.comms.send' ||
            (name === 'vastai.incident.read' &&
              ref === 'component:default/batch-worker'),
        ),
      ]);
      const ok = await declare(server, VALID);
      expect(ok.status).toBe(201);
      // May manage but not read the batch worker: declared, but it does not exist for the caller,
      // exactly like an unknown id.
      const hidden = await declare(server, {
        ...VALID,
        entityRef: 'component:default/batch-worker',
      });
      expect(hidden.status).toBe(201);
      for (const id of [hidden.body.id, UNKNOWN_ID]) {
        const read = await request(server)
          .get(`${API}/${id}`)
          .set('Authorization', user());
        expect(read.status).toBe(404);
        expect(read.body.error.message).toBe(`No incident ${id}`);
        const change = await request(server)
          .patch(`${API}/${id}`)
          .set('Authorization', user())
          .send({ status: 'identified' });
        expect(change.status).toBe(404);
      }
      const refused = await knex('vastai_access_audit').select();
      expect(refused).toMatchObject([
        {
          outcome: 'denied',
          permission: 'vastai.incident.read',
          entity_ref: 'component:default/batch-worker',
        },
        { outcome: 'denied', permission: 'vastai.incident.read' },
      ]);
      const send = await request(server)
        .post(`${API}/${ok.body.id}/comms`)
        .set('Authorization', user())
        .send({ channel: 'slack', text: 'hi' });
      expect(send.status).toBe(403);
      const list = await request(server).get(API).set('Authorization', user());
      expect(list.body.items.map((i: any) => i.entityRef)).toEqual([
        'component:default/vastai-integration',
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'answers 403 for everything when every permission is denied, on %p',
    async databaseId => {
      const { server } = await backend(databaseId, [
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
      ]);
      expect((await declare(server, VALID)).status).toBe(403);
      const list = await request(server).get(API).set('Authorization', user());
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses an entity not bound to the integration it names on every incident route (403 naming the binding), and records each refusal, on %p',
    async databaseId => {
      const { server, knex, auditor, incidents } = await backend(databaseId);
      // A record kept with the integration before the binding existed.
      const kept = await incidents.declare(
        {
          entityRef: INTRUDER,
          integration: INTEGRATION,
          title: 'Kept from before',
          impact: 'none',
          severity: 'P3',
        },
        'user:default/mock',
      );
      const on = `${API}/${kept.id}`;
      const send = (method: 'get' | 'post' | 'patch' | 'put', path: string) =>
        request(server)
          [method](path)
          .set('Authorization', user())
          .set('Idempotency-Key', `unbound-${method}-${path.length}`);
      const routes: Array<[string, () => request.Test]> = [
        [
          'declare',
          () => send('post', API).send({ ...VALID, entityRef: INTRUDER }),
        ],
        ['list', () => send('get', `${API}?entityRef=${INTRUDER}`)],
        ['get', () => send('get', on)],
        ['update', () => send('patch', on).send({ status: 'identified' })],
        ['timeline', () => send('get', `${on}/timeline`)],
        ['note', () => send('post', `${on}/notes`).send({ text: 'hi' })],
        ['preview', () => send('get', `${on}/comms/preview?channel=slack`)],
        ['messages', () => send('get', `${on}/comms`)],
        [
          'send',
          () =>
            send('post', `${on}/comms`).send({ channel: 'slack', text: 'hi' }),
        ],
        ['retry', () => send('post', `${on}/comms/${UNKNOWN_ID}/retry`)],
        ['build evidence', () => send('post', `${on}/evidence`)],
        ['list evidence', () => send('get', `${on}/evidence`)],
        ['evidence', () => send('get', `${on}/evidence/${UNKNOWN_ID}`)],
        [
          'download evidence',
          () => send('get', `${on}/evidence/${UNKNOWN_ID}/download`),
        ],
        ['postmortem', () => send('get', `${on}/postmortem`)],
        [
          'save postmortem',
          () => send('put', `${on}/postmortem`).send({ markdown: '# x' }),
        ],
        ['download postmortem', () => send('get', `${on}/postmortem/download`)],
      ];
      for (const [route, sent] of routes) {
        const res = await sent();
        expect({ route, status: res.status, error: res.body.error }).toEqual({
          route,
          status: 403,
          error: expect.objectContaining({
            name: 'NotAllowedError',
            message: BINDING_MISSING,
          }),
        });
      }
      // Nothing changed, and the portal-wide list leaves the record out.
      expect((await incidents.get(kept.id)).status).toBe('investigating');
      const all = await request(server).get(API).set('Authorization', user());
      expect(all.body.items).toEqual([]);

      const rows = await knex('vastai_access_audit').orderBy('id');
      expect(rows).toHaveLength(routes.length);
      for (const row of rows) {
        expect(row).toMatchObject({
          actor: 'user:default/mock',
          entity_ref: INTRUDER,
          integration: INTEGRATION,
          outcome: 'unbound',
          reason: BINDING_MISSING,
        });
      }
      const events = auditor.events.filter(
        e => e.eventId === 'entity-access-refused',
      );
      expect(events).toHaveLength(routes.length);
      expect(
        events.every(e => e.severityLevel === 'high' && e.outcome === 'fail'),
      ).toBe(true);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps evidence, the postmortem and the timeline’s details to readers of the logs, on %p',
    async databaseId => {
      const { server } = await backend(databaseId, [
        permissionsWhere(name => name === 'vastai.incident.logs.read'),
      ]);
      const NOTE = 'db-primary-7.internal restarted by hand';
      const created = await declare(server, VALID);
      expect(created.status).toBe(201);
      const on = `${API}/${created.body.id}`;
      const as = (r: request.Test) => r.set('Authorization', user());
      expect(
        (await as(request(server).post(`${on}/notes`)).send({ text: NOTE }))
          .status,
      ).toBe(201);
      expect(
        (await as(request(server).patch(on)).send({ status: 'identified' }))
          .status,
      ).toBe(200);

      // The incident and what happened are readable; the note's words are not.
      const detail = await as(request(server).get(on));
      const timeline = await as(request(server).get(`${on}/timeline`));
      expect([detail.status, timeline.status]).toEqual([200, 200]);
      expect(detail.body.evidence).toEqual([]);
      const withheld = [
        ['declared', expect.stringContaining('Incident declared')],
        ['note', WITHHELD_SUMMARY],
        ['status', expect.stringContaining('identified')],
      ];
      for (const events of [detail.body.timeline, timeline.body.items]) {
        expect(events.map((e: any) => [e.kind, e.summary])).toEqual(withheld);
      }
      const answers = [
        JSON.stringify(detail.body),
        JSON.stringify(timeline.body),
      ];

      // Evidence and the postmortem: refused before any bundle is looked up.
      for (const [method, path] of [
        ['post', `${on}/evidence`],
        ['get', `${on}/evidence`],
        ['get', `${on}/evidence/${UNKNOWN_ID}`],
        ['get', `${on}/evidence/${UNKNOWN_ID}/download`],
        ['get', `${on}/postmortem`],
        ['get', `${on}/postmortem/download`],
      ] as const) {
        const res = await as(request(server)[method](path));
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        expect(res.body.error.message).toContain(
          '(needs vastai.incident.logs.read)',
        );
        answers.push(JSON.stringify(res.body));
      }
      expect(answers.join('\n')).not.toContain('db-primary-7');
    },
  );
});
