import { ServiceUnavailableError } from '@backstage/errors';
import type { ErrorRequestHandler } from 'express';
import type { Knex } from 'knex';

/*
 * The plugin's database going away for a moment (a restart, a fail-over): a read or a write that
 * lost its connection is tried again for a few seconds, and when the database stays away the
 * caller gets a 503 that says so. Only connection failures are retried, never a statement's own
 * error, so on SQLite (whose errors never concern a connection) nothing is ever retried.
 */

/** PostgreSQL SQLSTATEs of a lost or refused connection (class 08, and 57P01-57P03). */
const CONNECTION_SQLSTATES = /^(08...|57P0[1-3])$/;
/** Node's socket errors on the way to the database server. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** The same failures as the drivers and the pool word them, when they carry no code. */
const CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /Connection ended unexpectedly/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /Timeout acquiring a connection/i,
  /terminating connection due to administrator command/i,
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/i,
];

/** How far an error's `cause` chain is followed. */
const MAX_CAUSE_DEPTH = 4;

/**
 * Whether the error means the connection to the database failed (refused, cut, or the server
 * going down or coming up) rather than the statement: only such a failure is worth a retry.
 */
export function isConnectionLoss(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > MAX_CAUSE_DEPTH) {
    return false;
  }
  const e = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  const code = String(e.code ?? '');
  if (CONNECTION_SQLSTATES.test(code) || SOCKET_CODES.has(code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  const message = String(e.message ?? '');
  if (CONNECTION_MESSAGES.some(pattern => pattern.test(message))) return true;
  return isConnectionLoss(e.cause, depth + 1);
}

/** What the caller is told once the database stayed away for all the retries. */
export const DATABASE_UNAVAILABLE = {
  write:
    "The portal's database is unavailable (connection lost); nothing was saved. Try again in a moment.",
  uncertain:
    "The portal's database connection was lost while saving; the change may have been saved. Reload to check before trying again.",
  read: "The portal's database is unavailable (connection lost). Try again in a moment.",
} as const;

/** A 503 for a database that is away; `reason` names the driver's failure (a code, no SQL). */
export function databaseUnavailable(
  kind: keyof typeof DATABASE_UNAVAILABLE,
  cause?: unknown,
): ServiceUnavailableError {
  const error = new ServiceUnavailableError(DATABASE_UNAVAILABLE[kind]);
  const code = (cause as { code?: unknown } | undefined)?.code;
  Object.assign(error, {
    reason: code ? String(code) : 'connection lost',
  });
  return error;
}

/** One attempt of a retried operation. */
export interface Attempt {
  /** 1 for the first attempt. */
  number: number;
  /**
   * An earlier attempt lost its connection while committing, so it may have been saved: this
   * attempt must find out before it writes again (or write only what cannot be doubled).
   */
  uncertain: boolean;
}

export interface RetryOptions {
  /** `write`: a refusal says nothing was saved (or that it may have been). Default `write`. */
  kind?: 'read' | 'write';
  /** How long after the first attempt no further attempt starts, in ms. Default 10 s. */
  budgetMs?: number;
  /** The wait before the second attempt, doubled for each next one (and jittered). Default 250 ms. */
  firstDelayMs?: number;
  /** The longest wait between two attempts. Default 2 s. */
  maxDelayMs?: number;
  /**
   * A number in [0, 1): each wait is its nominal value times 0.8 to 1.2, so replicas that lost
   * the database together do not all come back at once. Default `Math.random`.
   */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_RETRY_BUDGET_MS = 10_000;

/** Errors of an attempt that lost its connection while committing (it may have been saved). */
const lostWhileCommitting = new WeakSet<object>();

/**
 * Runs `operation`, again after a connection loss, with growing waits, until it succeeds, fails
 * for another reason (thrown as it is) or the budget is spent: then a 503
 * (`ServiceUnavailableError`) that says whether anything may have been saved. The operation must
 * be safe to repeat: a write keyed by an id chosen before the first attempt, or one that decides
 * what to write from the rows as they are in its own transaction (see `retryTransaction`).
 */
export async function retryOnConnectionLoss<T>(
  operation: (attempt: Attempt) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ??
    ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)));
  const budgetMs = options.budgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  const firstDelayMs = options.firstDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  const kind = options.kind ?? 'write';
  const random = options.random ?? Math.random;
  const started = now();
  let uncertain = false;
  for (let number = 1; ; number++) {
    try {
      return await operation({ number, uncertain });
    } catch (error) {
      if (!isConnectionLoss(error)) throw error;
      if (typeof error === 'object' && lostWhileCommitting.has(error)) {
        uncertain = true;
      }
      const delay = Math.round(
        Math.min(maxDelayMs, firstDelayMs * 2 ** (number - 1)) *
          (0.8 + 0.4 * random()),
      );
      if (now() + delay - started > budgetMs) {
        let refusal: keyof typeof DATABASE_UNAVAILABLE = 'read';
        if (kind === 'write') refusal = uncertain ? 'uncertain' : 'write';
        throw databaseUnavailable(refusal, error);
      }
      await sleep(delay);
    }
  }
}

/**
 * `retryOnConnectionLoss` for a transaction: `body` runs in a new transaction at each attempt.
 * A connection lost while the body ran rolled the transaction back; one lost while committing
 * leaves it unknown, and the next attempt is told so (`attempt.uncertain`).
 */
export function retryTransaction<T>(
  knex: Knex,
  body: (trx: Knex.Transaction, attempt: Attempt) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retryOnConnectionLoss(async attempt => {
    let committing = false;
    try {
      return await knex.transaction(async trx => {
        const result = await body(trx, attempt);
        committing = true;
        return result;
      });
    } catch (error) {
      if (committing && typeof error === 'object' && error !== null) {
        lostWhileCommitting.add(error);
      }
      throw error;
    }
  }, options);
}

/** A read, retried after a connection loss; a 503 that says the database is away at the end. */
export function retryRead<T>(
  read: () => Promise<T>,
  options: Omit<RetryOptions, 'kind'> = {},
): Promise<T> {
  return retryOnConnectionLoss(read, { ...options, kind: 'read' });
}

/**
 * The service of the portal a failed call went to, named by its URL (`/api/<plugin>/...`), for
 * an error a Backstage client throws on a 5xx answer (`ResponseError`); undefined otherwise.
 */
function failedPortalService(
  error: unknown,
): { what: string; status: number } | undefined {
  const e = error as {
    name?: unknown;
    statusCode?: unknown;
    response?: { url?: unknown };
  };
  if (e?.name !== 'ResponseError' || typeof e.statusCode !== 'number') {
    return undefined;
  }
  if (e.statusCode < 500) return undefined;
  const plugin = String(e.response?.url ?? '').match(/\/api\/([a-z0-9-]+)\//i);
  return {
    what: plugin
      ? `The portal's ${plugin[1]} service`
      : 'A service of the portal',
    status: e.statusCode,
  };
}

/**
 * The plugin router's error handler for what reached it without a retry: a lost database
 * connection, and a 5xx answer of another service of the portal (the permission backend or the
 * catalog, whose own database may be the one that is away), are answered 503 with a message
 * that says which, not a 500 with the driver's words.
 */
export function databaseUnavailableErrors(): ErrorRequestHandler {
  return (error, _req, _res, next) => {
    if (isConnectionLoss(error)) {
      next(databaseUnavailable('read', error));
      return;
    }
    const service = failedPortalService(error);
    if (service) {
      const unavailable = new ServiceUnavailableError(
        `${service.what} is unavailable (it answered ${service.status}). Try again in a moment.`,
      );
      next(Object.assign(unavailable, { reason: 'portal service' }));
      return;
    }
    next(error);
  };
}
