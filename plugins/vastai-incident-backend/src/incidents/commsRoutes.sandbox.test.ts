import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { startSandbox, Sandbox } from '@internal/vastai-sandbox';
import express, { Request } from 'express';
import request from 'supertest';
import type { EntityGate } from '../access/entityGate';
import {
  COMMS_ENTITY,
  COMMS_INTEGRATION,
  incidentCommsOnSandbox,
} from '../testing/incidentComms';
import { createIncidentsRouter } from './router';

jest.setTimeout(120_000);

/** Lets every user through as the `x-user` header says: the routes' own input handling is tested. */
const openGate = {
  credentials: async (req: Request) => ({
    principal: { userEntityRef: req.header('x-user') },
  }),
  requireVisible: async () => undefined,
  requirePermission: async () => undefined,
  recordIntegration: async () => undefined,
} as unknown as EntityGate;

describe('the comms routes take an Idempotency-Key', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ prometheus: false });
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => sandbox.receivers.clear());

  async function app(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const { service } = await incidentCommsOnSandbox(knex, sandbox);
    const incident = await service.declare(
      {
        entityRef: COMMS_ENTITY,
        integration: COMMS_INTEGRATION,
        title: 'Vast.ai API returns 503',
        severity: 'P1',
        impact: 'No GPU offers',
      },
      'user:default/alice',
    );
    const server = express()
      .use(createIncidentsRouter({ gate: openGate, incidents: service }))
      .use(
        MiddlewareFactory.create({
          config: new ConfigReader({}),
          logger: mockServices.logger.mock(),
        }).error(),
      );
    const send = (user: string, key: string | undefined, text: string) => {
      const req = request(server)
        .post(`/${incident.id}/comms`)
        .set('x-user', user);
      return (key === undefined ? req : req.set('Idempotency-Key', key)).send({
        channel: 'statuspage',
        text,
      });
    };
    return { send };
  }

  it.each(databases.eachSupportedId())(
    'replays a send by its key, answers 422 to another user or body, 400 without a key on %p',
    async databaseId => {
      const { send } = await app(databaseId);
      const alice = 'user:default/alice';
      const [first, second] = await Promise.all([
        send(alice, 'http-key-1', 'We are investigating'),
        send(alice, 'http-key-1', 'We are investigating'),
      ]);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.body.id).toBe(first.body.id);
      expect(sandbox.receivers.statuspageRequests()).toHaveLength(1);

      const otherUser = await send(
        'user:default/bob',
        'http-key-1',
        'We are investigating',
      );
      expect(otherUser.status).toBe(422);
      expect(otherUser.body.error.message).toMatch(/used by another user/);
      const otherBody = await send(alice, 'http-key-1', 'Another text');
      expect(otherBody.status).toBe(422);
      expect(otherBody.body.error.message).toMatch(/different message/);

      const noKey = await send(alice, undefined, 'We are investigating');
      expect(noKey.status).toBe(400);
      expect(noKey.body.error.message).toMatch(/Idempotency-Key/);
      const badKey = await send(alice, 'a key with spaces', 'x');
      expect(badKey.status).toBe(400);
      expect(sandbox.receivers.statuspageRequests()).toHaveLength(1);
    },
  );
});
