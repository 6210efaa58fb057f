import { TestDatabases } from '@backstage/backend-test-utils';
import type { TestDatabaseId } from '@backstage/backend-test-utils';
import { startSandbox, Sandbox } from '@internal/vastai-sandbox';
import { startLocalServer } from '../testing/localServer';
import {
  COMMS_ENTITY,
  COMMS_INTEGRATION,
  incidentCommsOnSandbox,
} from '../testing/incidentComms';

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

describe('sending incident messages with an Idempotency-Key, against the sandbox receivers', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ prometheus: false });
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => {
    sandbox.receivers.clear();
    sandbox.receivers.setFailure({ slack: null, statuspage: null });
  });

  async function declared(
    databaseId: TestDatabaseId,
    statuspage?: { apiBaseUrl: string },
  ) {
    const knex = await databases.init(databaseId);
    const { service } = await incidentCommsOnSandbox(knex, sandbox, {
      statuspage,
    });
    const incident = await service.declare(
      {
        entityRef: COMMS_ENTITY,
        integration: COMMS_INTEGRATION,
        title: 'Vast.ai API returns 503',
        severity: 'P1',
        impact: 'No GPU offers',
      },
      ALICE,
    );
    return { service, incident };
  }

  const statuspagePosts = () =>
    sandbox.receivers
      .statuspageRequests()
      .filter(r => r.method === 'POST' && r.status === 201);

  it.each(databases.eachSupportedId())(
    'a concurrent or replayed send with one key sends once and creates one public status-page incident on %p',
    async databaseId => {
      const { service, incident } = await declared(databaseId);
      const send = (channel: 'slack' | 'statuspage', key: string) =>
        service.send(incident.id, channel, `Update on ${channel}`, ALICE, key);

      // Two concurrent first sends (a double submit): one message, one public incident.
      const [a, b] = await Promise.all([
        send('statuspage', 'sp-key-1'),
        send('statuspage', 'sp-key-1'),
      ]);
      expect(a.id).toBe(b.id);
      expect([a.status, b.status]).toEqual(['sent', 'sent']);
      // A retry after a timeout (the answer was lost): the stored message, nothing sent again.
      const replay = await send('statuspage', 'sp-key-1');
      expect(replay).toMatchObject({ id: a.id, status: 'sent', attempts: 1 });
      expect(sandbox.receivers.statuspageRequests()).toHaveLength(1);
      expect(statuspagePosts()).toHaveLength(1);

      const slack = await Promise.all([
        send('slack', 'slack-key-1'),
        send('slack', 'slack-key-1'),
        send('slack', 'slack-key-1'),
      ]);
      expect(new Set(slack.map(m => m.id)).size).toBe(1);
      expect(sandbox.receivers.slackMessages()).toHaveLength(1);

      expect(
        (await service.listMessages(incident.id)).map(m => m.channel),
      ).toEqual(['statuspage', 'slack']);
      const sent = (await service.timeline(incident.id)).filter(
        e => e.kind === 'message',
      );
      expect(sent).toHaveLength(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'two first status-page messages with different keys create one public incident; the second updates it on %p',
    async databaseId => {
      const { service, incident } = await declared(databaseId);
      const [first, second] = await Promise.all([
        service.send(incident.id, 'statuspage', 'First notice', ALICE, 'k-a'),
        service.send(incident.id, 'statuspage', 'Second notice', BOB, 'k-b'),
      ]);
      expect([first.status, second.status]).toEqual(['sent', 'sent']);
      const requests = sandbox.receivers.statuspageRequests();
      expect(requests.map(r => r.method).sort()).toEqual(['PATCH', 'POST']);
      const created = (await service.get(incident.id)).statuspageIncidentId;
      expect(requests.find(r => r.method === 'PATCH')?.incidentId).toBe(
        created,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses a key reused by another user or for another message with 422, and a send without a key with 400 on %p',
    async databaseId => {
      const { service, incident } = await declared(databaseId);
      const first = await service.send(
        incident.id,
        'slack',
        'Fallback enabled',
        ALICE,
        'shared-key',
      );
      expect(first.status).toBe('sent');
      const refusals = [
        service.send(
          incident.id,
          'slack',
          'Fallback enabled',
          BOB,
          'shared-key',
        ),
        service.send(incident.id, 'slack', 'Other text', ALICE, 'shared-key'),
        service.send(
          incident.id,
          'statuspage',
          'Fallback enabled',
          ALICE,
          'shared-key',
        ),
      ];
      const errors = await Promise.all(refusals.map(p => p.catch(e => e)));
      expect(errors.map(e => [e.name, e.statusCode])).toEqual([
        ['IdempotencyKeyReusedError', 422],
        ['IdempotencyKeyReusedError', 422],
        ['IdempotencyKeyReusedError', 422],
      ]);
      expect(errors[0].message).toMatch(/used by another user/);
      expect(errors[1].message).toMatch(/used for a different message/);
      await expect(
        service.send(incident.id, 'slack', 'No key', ALICE),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/Idempotency-Key header is required/),
      });
      expect(sandbox.receivers.slackMessages()).toHaveLength(1);
      expect(await service.listMessages(incident.id)).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'a retry replayed with its key attempts once; another user reusing it gets 422 on %p',
    async databaseId => {
      const { service, incident } = await declared(databaseId);
      sandbox.receivers.setFailure({ statuspage: 500 });
      const failed = await service.send(
        incident.id,
        'statuspage',
        'We are investigating',
        ALICE,
        'send-1',
      );
      expect(failed).toMatchObject({ status: 'failed', retryable: true });
      sandbox.receivers.setFailure({ statuspage: null });

      const retries = await Promise.all([
        service.retry(incident.id, failed.id, ALICE, 'retry-1'),
        service.retry(incident.id, failed.id, ALICE, 'retry-1'),
      ]);
      expect(retries.map(m => [m.id, m.status, m.attempts])).toEqual([
        [failed.id, 'sent', 2],
        [failed.id, 'sent', 2],
      ]);
      expect(
        await service.retry(incident.id, failed.id, ALICE, 'retry-1'),
      ).toMatchObject({ status: 'sent', attempts: 2 });
      await expect(
        service.retry(incident.id, failed.id, BOB, 'retry-1'),
      ).rejects.toMatchObject({ statusCode: 422 });
      // Without the key, a retry of a sent message is refused as before.
      await expect(
        service.retry(incident.id, failed.id, ALICE),
      ).rejects.toThrow(/Only a failed message/);
      expect(
        sandbox.receivers.statuspageRequests().map(r => [r.method, r.status]),
      ).toEqual([
        ['POST', 500],
        ['POST', 201],
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'a status-page create that got no answer is not retried, so it never creates a second public incident on %p',
    async databaseId => {
      // Statuspage takes the create and never answers (it may well have created it).
      const silent = await startLocalServer(() => undefined);
      try {
        const { service, incident } = await declared(databaseId, {
          apiBaseUrl: silent.url,
        });
        const failed = await service.send(
          incident.id,
          'statuspage',
          'We are investigating',
          ALICE,
          'silent-1',
        );
        expect(failed).toMatchObject({ status: 'failed', retryable: false });
        expect(failed.reason).toMatch(/no answer.*check the status page/);
        await expect(
          service.retry(incident.id, failed.id, ALICE, 'silent-retry'),
        ).rejects.toThrow(/cannot be retried/);
        expect(silent.requests.map(r => r.method)).toEqual(['POST']);
      } finally {
        await silent.close();
      }
    },
  );
});
