import type { Knex } from 'knex';

/** An error as the pg driver reports a connection the server ended (a restart, a fail-over). */
export function connectionLost(
  code = '57P01',
  message = 'terminating connection due to administrator command',
): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

/**
 * What the next transactions meet, one entry each: `refused` fails before anything is sent (the
 * server is down); `answer-lost` runs and commits the transaction, then reports the connection
 * lost, as when the server went away between the commit and its answer.
 */
export type TransactionFault = 'refused' | 'answer-lost';

/**
 * The knex, whose `transaction(fn)` calls meet `faults` in order (the rest run normally);
 * `faults` is consumed, so a test can see how many were met.
 */
export function flakyKnex(knex: Knex, faults: TransactionFault[]): Knex {
  const transaction = async (fn: (trx: Knex.Transaction) => unknown) => {
    const fault = faults.shift();
    if (fault === 'refused') {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
      });
    }
    const result = await knex.transaction(fn as any);
    if (fault === 'answer-lost') throw connectionLost();
    return result;
  };
  return new Proxy(knex, {
    get(target, property, receiver) {
      if (property === 'transaction') return transaction;
      return Reflect.get(target, property, receiver);
    },
  });
}
