import { TestDatabases } from '@backstage/backend-test-utils';
import { ResponseError, ServiceUnavailableError } from '@backstage/errors';
import { connectionLost, flakyKnex } from '../testing/flakyDatabase';
import {
  Attempt,
  DATABASE_UNAVAILABLE,
  databaseUnavailableErrors,
  isConnectionLoss,
  retryOnConnectionLoss,
  retryRead,
  retryTransaction,
} from './retry';

jest.setTimeout(60_000);

const coded = (code: string, message = 'x') =>
  Object.assign(new Error(message), { code });

/** A clock that moves only when the retry loop sleeps; the sleeps it was asked for. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    options: {
      // The middle of the jitter: every wait is its nominal value.
      random: () => 0.5,
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
  };
}

/** An operation that throws the given errors in turn, then answers 'done'. */
function failing(errors: unknown[]) {
  const attempts: Attempt[] = [];
  return {
    attempts,
    operation: async (attempt: Attempt) => {
      attempts.push(attempt);
      const next = errors.shift();
      if (next !== undefined) throw next;
      return 'done';
    },
  };
}

describe('isConnectionLoss', () => {
  it.each([
    ['57P01 admin_shutdown', connectionLost()],
    ['57P02 crash_shutdown', coded('57P02')],
    [
      '57P03 cannot_connect_now',
      coded('57P03', 'the database system is starting up'),
    ],
    ['08006 connection_failure', coded('08006')],
    ['08001 unable to connect', coded('08001')],
    ['ECONNREFUSED', coded('ECONNREFUSED', 'connect ECONNREFUSED')],
    ['ECONNRESET', coded('ECONNRESET', 'read ECONNRESET')],
    [
      'a dropped connection (pg)',
      new Error(
        'select * from "incident_records" where "id" = $1 - Connection terminated unexpectedly',
      ),
    ],
    [
      "knex's pool timeout",
      Object.assign(
        new Error('Knex: Timeout acquiring a connection. The pool is full.'),
        { name: 'KnexTimeoutError' },
      ),
    ],
    [
      'a cause two levels down',
      Object.assign(new Error('outer'), {
        cause: Object.assign(new Error('mid'), { cause: coded('57P01') }),
      }),
    ],
  ])('is true for %s', (_, error) => {
    expect(isConnectionLoss(error)).toBe(true);
  });

  it.each([
    ['a unique violation (PostgreSQL)', coded('23505', 'duplicate key value')],
    [
      'a unique violation (SQLite)',
      coded('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'),
    ],
    ['a busy SQLite', coded('SQLITE_BUSY', 'database is locked')],
    ['a syntax error', coded('42601', 'syntax error at or near "x"')],
    ['a serialization failure', coded('40001')],
    ['a plain error', new Error('boom')],
    ['no error', undefined],
    ['a string', 'Connection terminated'],
    [
      'the 503 of an exhausted retry',
      new ServiceUnavailableError(DATABASE_UNAVAILABLE.write),
    ],
  ])('is false for %s', (_, error) => {
    expect(isConnectionLoss(error)).toBe(false);
  });
});

describe('retryOnConnectionLoss', () => {
  it('tries again after connection losses, waiting longer each time, and returns the answer', async () => {
    const time = fakeTime();
    const op = failing([
      coded('ECONNREFUSED'),
      coded('57P03'),
      connectionLost(),
      coded('ECONNREFUSED'),
      coded('ECONNREFUSED'),
    ]);
    await expect(
      retryOnConnectionLoss(op.operation, time.options),
    ).resolves.toBe('done');
    expect(op.attempts.map(a => a.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(time.sleeps).toEqual([250, 500, 1000, 2000, 2000]);
    expect(op.attempts.every(a => !a.uncertain)).toBe(true);
  });

  it('spreads each wait between 0.8 and 1.2 times its nominal value', async () => {
    const waits = async (random: number) => {
      const time = fakeTime();
      const op = failing([coded('ECONNREFUSED'), coded('ECONNREFUSED')]);
      await retryOnConnectionLoss(op.operation, {
        ...time.options,
        random: () => random,
      });
      return time.sleeps;
    };
    expect(await waits(0)).toEqual([200, 400]);
    expect(await waits(0.999)).toEqual([300, 600]);
  });

  it('throws any other error at once, without a retry', async () => {
    const time = fakeTime();
    const unique = coded('23505', 'duplicate key value');
    const op = failing([unique]);
    await expect(
      retryOnConnectionLoss(op.operation, time.options),
    ).rejects.toBe(unique);
    expect(op.attempts).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it('answers 503 saying nothing was saved once the database stayed away for the whole budget', async () => {
    const time = fakeTime();
    const op = failing(Array.from({ length: 50 }, () => coded('ECONNREFUSED')));
    const error = await retryOnConnectionLoss(op.operation, time.options).catch(
      e => e,
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.message).toBe(
      "The portal's database is unavailable (connection lost); nothing was saved. Try again in a moment.",
    );
    expect(error.reason).toBe('ECONNREFUSED');
    // 250 + 500 + 1000 + 2000 * 4 = 9750 ms of waits; the next wait would pass 10 s.
    expect(time.sleeps).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000]);
    expect(op.attempts).toHaveLength(8);
  });

  it('says a read failed, not that nothing was saved, for a read', async () => {
    const time = fakeTime();
    const op = failing(Array.from({ length: 50 }, () => connectionLost()));
    await expect(
      retryRead(() => op.operation({ number: 0, uncertain: false }), {
        ...time.options,
        budgetMs: 1000,
      }),
    ).rejects.toThrow(DATABASE_UNAVAILABLE.read);
  });
});

describe('retryTransaction', () => {
  const fakeKnex = (commits: Array<'ok' | 'lost' | 'refused'>) => {
    const bodies: Attempt[] = [];
    const knex = {
      transaction: async (fn: (trx: unknown) => Promise<unknown>) => {
        const outcome = commits.shift() ?? 'ok';
        if (outcome === 'refused') throw coded('ECONNREFUSED');
        const result = await fn({});
        if (outcome === 'lost') throw connectionLost();
        return result;
      },
    };
    return { knex: knex as any, bodies };
  };

  it('tells the next attempt when a connection was lost while committing (it may have been saved)', async () => {
    const time = fakeTime();
    const { knex } = fakeKnex(['refused', 'lost', 'ok']);
    const attempts: Attempt[] = [];
    const result = await retryTransaction(
      knex,
      async (_trx, attempt) => {
        attempts.push({ ...attempt });
        return attempt.number;
      },
      time.options,
    );
    expect(result).toBe(3);
    // The refused attempt never ran its body; the one after the lost commit knows.
    expect(attempts).toEqual([
      { number: 2, uncertain: false },
      { number: 3, uncertain: true },
    ]);
  });

  it('does not call a lost connection in the body uncertain: the transaction was rolled back', async () => {
    const time = fakeTime();
    const { knex } = fakeKnex([]);
    const attempts: Attempt[] = [];
    await retryTransaction(
      knex,
      async (_trx, attempt) => {
        attempts.push({ ...attempt });
        if (attempt.number === 1) throw connectionLost();
        return 'ok';
      },
      time.options,
    );
    expect(attempts.map(a => a.uncertain)).toEqual([false, false]);
  });

  it('says the change may have been saved when the database stayed away after a lost commit', async () => {
    const time = fakeTime();
    const { knex } = fakeKnex([
      'lost',
      ...Array.from({ length: 50 }, () => 'refused' as const),
    ]);
    await expect(
      retryTransaction(knex, async () => 'ok', time.options),
    ).rejects.toThrow(DATABASE_UNAVAILABLE.uncertain);
  });
});

describe('databaseUnavailableErrors', () => {
  it('answers a lost connection that reached the router with a 503 and passes other errors on', () => {
    const handler = databaseUnavailableErrors();
    const passed: unknown[] = [];
    const next = (e: unknown) => passed.push(e);
    const other = new Error('boom');
    handler(connectionLost(), {} as any, {} as any, next);
    handler(other, {} as any, {} as any, next);
    expect(passed[0]).toBeInstanceOf(ServiceUnavailableError);
    expect((passed[0] as Error).message).toBe(DATABASE_UNAVAILABLE.read);
    expect(passed[1]).toBe(other);
  });

  it('answers a 5xx of another portal service (its database may be the one away) with a 503 naming it, and passes a 4xx on', async () => {
    const handler = databaseUnavailableErrors();
    const passed: unknown[] = [];
    const next = (e: unknown) => passed.push(e);
    const answer = (status: number, url: string) =>
      ResponseError.fromResponse({
        ok: false,
        status,
        statusText: status === 500 ? 'Internal Server Error' : 'Not Found',
        url,
        headers: new Headers({ 'content-type': 'application/json' }),
        text: async () =>
          JSON.stringify({
            error: { name: 'Error', message: 'An internal error occurred' },
            response: { statusCode: status },
          }),
      } as any);
    const failed = await answer(
      500,
      'http://localhost:7007/api/permission/authorize',
    );
    const missing = await answer(
      404,
      'http://localhost:7007/api/catalog/entities/by-name/x',
    );
    handler(failed, {} as any, {} as any, next);
    handler(missing, {} as any, {} as any, next);
    expect(passed[0]).toBeInstanceOf(ServiceUnavailableError);
    expect((passed[0] as Error).message).toBe(
      "The portal's permission service is unavailable (it answered 500). Try again in a moment.",
    );
    expect(passed[1]).toBe(missing);
  });
});

describe('retries on a real database', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  it.each(databases.eachSupportedId())(
    'never retries a statement error, and writes once after a lost commit answer, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await knex.schema.createTable('retry_probe', table => {
        table.string('id').primary();
      });
      let attempts = 0;
      await knex('retry_probe').insert({ id: 'a' });
      // The driver's error may come from another realm than Jest's: its message is compared.
      const error = await retryTransaction(knex, async trx => {
        attempts++;
        await trx('retry_probe').insert({ id: 'a' });
      }).catch(e => e);
      expect(String(error?.message)).toMatch(/unique|duplicate/i);
      expect(attempts).toBe(1);

      // The commit went through but its answer was lost: the next attempt checks first.
      const flaky = flakyKnex(knex, ['answer-lost']);
      await retryTransaction(
        flaky,
        async (trx, attempt) => {
          if (
            attempt.uncertain &&
            (await trx('retry_probe').where({ id: 'b' }).first())
          ) {
            return;
          }
          await trx('retry_probe').insert({ id: 'b' });
        },
        { firstDelayMs: 1 },
      );
      expect(await knex('retry_probe').where({ id: 'b' })).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'writes once when the server ends the connection in the middle of the transaction (SQLite has no connection to lose), on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = databaseId !== 'SQLITE_3';
      await knex.schema.createTable('retry_probe_pg', table => {
        table.increments('id');
        table.string('text');
      });
      const attempts: number[] = [];
      await retryTransaction(
        knex,
        async (trx, attempt) => {
          attempts.push(attempt.number);
          await trx('retry_probe_pg').insert({ text: 'once' });
          // The server ends this very connection (as a restart does): 57P01, rolled back.
          if (server && attempt.number === 1) {
            await trx.raw('SELECT pg_terminate_backend(pg_backend_pid())');
          }
        },
        { firstDelayMs: 10 },
      );
      expect(attempts).toEqual(server ? [1, 2] : [1]);
      expect(await knex('retry_probe_pg').select('text')).toEqual([
        { text: 'once' },
      ]);
    },
  );
});
