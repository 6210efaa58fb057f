import { TestDatabases } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { flakyKnex, TransactionFault } from '../testing/flakyDatabase';
import {
  INCIDENT_MIGRATIONS_DIR,
  IncidentStore,
  recordTimelineEvent,
} from './store';

jest.setTimeout(120_000);

const MIGRATION = '20261128231000_incidents.js';
const EVENT_KEYS_MIGRATION = '20261215090000_incident_timeline_event_keys.js';
const KEYS_MIGRATION = '20261202090000_incident_comms_idempotency.js';
const TABLES = [
  'incident_records',
  'incident_timeline',
  'incident_messages',
  'incident_evidence',
  'incident_postmortems',
];

describe('IncidentStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function storeOn(knex: Knex) {
    return IncidentStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
  }

  const newIncident = (entityRef: string) => ({
    id: randomUUID(),
    entityRef,
    integration: 'vastai-integration',
    title: 'Vast.ai calls failing',
    severity: 'P1' as const,
    impact: 'No GPU offers shown',
    commander: 'user:default/alice',
    declaredBy: 'user:default/alice',
    at: Date.now(),
  });
  const declared = {
    kind: 'declared',
    summary: 'declared',
    actor: 'user:default/alice',
  };

  it.each(databases.eachSupportedId())(
    'migrates up and down, leaving the other migrations alone, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await storeOn(knex);
      for (const table of TABLES) {
        expect(await knex.schema.hasTable(table)).toBe(true);
      }
      await knex.migrate.down({
        directory: INCIDENT_MIGRATIONS_DIR,
        name: MIGRATION,
      });
      for (const table of TABLES) {
        expect(await knex.schema.hasTable(table)).toBe(false);
      }
      // The actions engineer's tables, in the same directory, are still there.
      expect(await knex.schema.hasTable('vastai_action_audit')).toBe(true);
      await knex.migrate.up({
        directory: INCIDENT_MIGRATIONS_DIR,
        name: MIGRATION,
      });
      expect(await knex.schema.hasTable('incident_records')).toBe(true);
    },
  );

  it.each(databases.eachSupportedId())(
    'migrates the message keys and the status-page claim up and down on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await storeOn(knex);
      const columns = async () => ({
        messages: Object.keys(await knex('incident_messages').columnInfo()),
        records: Object.keys(await knex('incident_records').columnInfo()),
      });
      expect(await columns()).toMatchObject({
        messages: expect.arrayContaining(['idempotency_key', 'retry_key']),
        records: expect.arrayContaining(['statuspage_claim']),
      });
      await knex.migrate.down({
        directory: INCIDENT_MIGRATIONS_DIR,
        name: KEYS_MIGRATION,
      });
      const down = await columns();
      expect(down.messages).not.toContain('idempotency_key');
      expect(down.records).not.toContain('statuspage_claim');
      await knex.migrate.up({
        directory: INCIDENT_MIGRATIONS_DIR,
        name: KEYS_MIGRATION,
      });
      expect((await columns()).messages).toContain('retry_by');
    },
  );

  it.each(databases.eachSupportedId())(
    'migrates the timeline event keys up and down on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await storeOn(knex);
      const columns = async () =>
        Object.keys(await knex('incident_timeline').columnInfo());
      expect(await columns()).toContain('event_key');
      await knex.migrate.down({
        directory: INCIDENT_MIGRATIONS_DIR,
        name: EVENT_KEYS_MIGRATION,
      });
      expect(await columns()).not.toContain('event_key');
      await knex.migrate.up({
        directory: INCIDENT_MIGRATIONS_DIR,
        name: EVENT_KEYS_MIGRATION,
      });
      expect(await columns()).toContain('event_key');
    },
  );

  it.each(databases.eachSupportedId())(
    'writes each change, note, message attempt and postmortem once when the connection is lost before or after the commit, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await storeOn(knex);
      const faults: TransactionFault[] = [];
      const store = new IncidentStore(flakyKnex(knex, faults));
      const lose = (...next: TransactionFault[]) => faults.push(...next);
      const ref = `component:default/svc-${randomUUID().slice(0, 8)}`;
      const incident = newIncident(ref);

      lose('answer-lost');
      expect(await store.insertIncident(incident, declared)).toBe(true);

      lose('refused', 'answer-lost');
      const change = await store.changeIncident(incident.id, current => ({
        changes:
          current.status === 'investigating' ? { status: 'identified' } : {},
        events:
          current.status === 'investigating'
            ? [{ kind: 'status', summary: 'investigating -> identified' }]
            : [],
      }));
      // The saved attempt's own view, not a second plan on the changed row.
      expect(change?.before.status).toBe('investigating');
      expect(change?.after.status).toBe('identified');

      lose('answer-lost', 'answer-lost');
      const timeline = await store.appendToTimeline(incident.id, {
        kind: 'note',
        summary: 'one note',
      });
      expect(timeline.filter(e => e.summary === 'one note')).toHaveLength(1);

      const messageId = randomUUID();
      lose('answer-lost');
      expect(
        await store.messages.insert({
          id: messageId,
          incidentId: incident.id,
          channel: 'slack',
          text: 'hello',
          payload: {},
          createdBy: 'user:default/alice',
          at: Date.now(),
          idempotencyKey: 'send-1',
        }),
      ).toBe(true);
      lose('answer-lost');
      const failed = await store.messages.finishAttempt(
        messageId,
        { status: 'failed', retryable: true },
        { kind: 'message', summary: 'attempt failed' },
      );
      expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
      lose('answer-lost');
      expect(
        await store.messages.claimRetry(messageId, {
          key: 'retry-1',
          actor: 'user:default/bob',
        }),
      ).toBe(true);

      lose('answer-lost');
      await store.savePostmortem(incident.id, '# once', 'user:default/alice', {
        kind: 'postmortem',
        summary: 'saved',
      });
      lose('answer-lost');
      await store.addEvent(incident.id, { kind: 'note', summary: 'two' });

      expect(faults).toEqual([]);
      const rows = await knex('incident_timeline')
        .where({ incident_id: incident.id })
        .orderBy('id')
        .select('kind', 'summary');
      expect(rows).toEqual([
        { kind: 'declared', summary: 'declared' },
        { kind: 'status', summary: 'investigating -> identified' },
        { kind: 'note', summary: 'one note' },
        { kind: 'message', summary: 'attempt failed' },
        { kind: 'postmortem', summary: 'saved' },
        { kind: 'note', summary: 'two' },
      ]);
      expect(
        await knex('incident_records').where({ id: incident.id }).first(),
      ).toMatchObject({ status: 'identified' });
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps one open incident per entity, timelines, messages, bundles and postmortems on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const store = await storeOn(knex);
      const ref = `component:default/svc-${randomUUID().slice(0, 8)}`;
      const first = newIncident(ref);
      expect(await store.insertIncident(first, declared)).toBe(true);
      expect(await store.insertIncident(newIncident(ref), declared)).toBe(
        false,
      );
      expect((await store.openIncidentOf(ref))?.id).toBe(first.id);

      // A timeline event inside a caller's transaction: committed with it, or not at all.
      await expect(
        knex.transaction(async trx => {
          await recordTimelineEvent(trx, {
            entityRef: ref,
            kind: 'action',
            summary: 'rolled back',
          });
          throw new Error('audit insert failed');
        }),
      ).rejects.toThrow('audit insert failed');
      await knex.transaction(async trx => {
        expect(
          await recordTimelineEvent(trx, {
            entityRef: ref,
            kind: 'action',
            summary: 'enable-fallback succeeded',
            detail: { actionId: 'enable-fallback' },
          }),
        ).toBe(first.id);
      });
      expect(
        await recordTimelineEvent(knex, {
          entityRef: 'component:default/none',
          kind: 'action',
          summary: 'x',
        }),
      ).toBeUndefined();

      // Triage severity: recorded once per change.
      const summary = () => 'triage changed';
      expect(await store.noteTriageSeverity(ref, 'P2', summary)).toBeDefined();
      expect(
        await store.noteTriageSeverity(ref, 'P2', summary),
      ).toBeUndefined();
      expect(
        await store.noteTriageSeverity(ref, 'none', summary),
      ).toBeDefined();

      const change = await store.changeIncident(first.id, () => ({
        changes: { status: 'identified', severity: 'P2' },
        events: [{ kind: 'status', summary: 'investigating -> identified' }],
      }));
      expect(change?.before).toMatchObject({ status: 'investigating' });
      const updated = change?.after;
      expect(updated).toMatchObject({ status: 'identified', severity: 'P2' });
      expect(updated?.respondedAt).toBeDefined();

      const messageId = randomUUID();
      const message = {
        id: messageId,
        incidentId: first.id,
        channel: 'slack' as const,
        text: 'hello',
        payload: { text: 'hello', blocks: [] },
        createdBy: 'user:default/alice',
        at: Date.now(),
        idempotencyKey: 'send-1',
      };
      expect(await store.messages.insert(message)).toBe(true);
      // The key is unique per incident: a second message with it is a replay.
      expect(
        await store.messages.insert({ ...message, id: randomUUID() }),
      ).toBe(false);
      expect(
        (await store.messages.findByKey(first.id, 'send-1'))?.message.id,
      ).toBe(messageId);
      const failed = await store.messages.finishAttempt(
        messageId,
        {
          status: 'failed',
          reason: 'Slack answered HTTP 500',
          retryable: true,
          upstreamStatus: 500,
        },
        { kind: 'message', summary: 'failed' },
      );
      expect(failed).toMatchObject({
        status: 'failed',
        attempts: 1,
        retryable: true,
        upstreamStatus: 500,
      });
      const retry = { key: 'retry-1', actor: 'user:default/bob' };
      expect(await store.messages.claimRetry(messageId, retry)).toBe(true);
      expect(await store.messages.claimRetry(messageId, retry)).toBe(false);
      expect(await store.messages.find(messageId)).toMatchObject({
        idempotencyKey: 'send-1',
        retryKey: 'retry-1',
        retryBy: 'user:default/bob',
      });
      // One message at a time may create the status-page incident.
      const other = randomUUID();
      const staleBefore = Date.now() - 60_000;
      expect(
        await store.messages.claimStatuspageCreate(
          first.id,
          messageId,
          staleBefore,
        ),
      ).toBe(true);
      expect(
        await store.messages.claimStatuspageCreate(
          first.id,
          other,
          staleBefore,
        ),
      ).toBe(false);
      const sent = await store.messages.finishAttempt(
        messageId,
        { status: 'sent', retryable: false },
        { kind: 'message', summary: 'sent' },
        'sp-1',
      );
      expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
      expect((await store.getIncident(first.id))?.statuspageIncidentId).toBe(
        'sp-1',
      );
      expect(await store.messages.statuspageIncidentIdOf(first.id)).toBe(
        'sp-1',
      );
      // Created: nobody claims its creation again.
      expect(
        await store.messages.claimStatuspageCreate(first.id, other, Date.now()),
      ).toBe(false);

      const bundleId = randomUUID();
      await store.insertBundle({
        id: bundleId,
        incidentId: first.id,
        createdBy: 'user:default/alice',
        at: Date.now(),
      });
      const bytes = Buffer.from([0x1f, 0x8b, 0, 1, 2, 255, 254]);
      await store.updateBundle(bundleId, {
        status: 'ready',
        progress: 100,
        content: bytes,
      });
      expect(await store.getBundle(bundleId)).toMatchObject({
        status: 'ready',
        progress: 100,
        sizeBytes: bytes.length,
      });
      expect((await store.bundleContent(bundleId))?.equals(bytes)).toBe(true);

      await store.savePostmortem(first.id, '# v1', 'user:default/alice', {
        kind: 'postmortem',
        summary: 'saved',
      });
      await store.savePostmortem(first.id, '# v2', 'user:default/bob', {
        kind: 'postmortem',
        summary: 'saved',
      });
      expect(await store.getPostmortem(first.id)).toMatchObject({
        markdown: '# v2',
        updatedBy: 'user:default/bob',
        saved: true,
      });

      const kinds = (await store.timeline(first.id)).map(e => e.kind);
      expect(kinds).toEqual([
        'declared',
        'action',
        'triage-severity',
        'triage-severity',
        'status',
        'message',
        'message',
        'postmortem',
        'postmortem',
      ]);
      expect((await store.timeline(first.id))[1].detail).toEqual({
        actionId: 'enable-fallback',
      });

      // Resolving frees the entity for a new incident.
      await store.changeIncident(first.id, () => ({
        changes: { status: 'resolved' },
        events: [{ kind: 'status', summary: 'resolved' }],
      }));
      expect(await store.openIncidentOf(ref)).toBeUndefined();
      expect(await store.insertIncident(newIncident(ref), declared)).toBe(true);
      expect(await store.listIncidents({ entityRef: ref })).toHaveLength(2);
      expect(
        await store.listIncidents({ entityRef: ref, status: 'resolved' }),
      ).toHaveLength(1);
      expect(
        await store.listIncidents({ entityRef: ref, severity: 'P2' }),
      ).toHaveLength(1);
    },
  );
});
