import { CustomErrorBase } from '@backstage/errors';
import type { Request } from 'express';
import { z } from 'zod';
import { parseInput } from '../http/validation';

/**
 * An Idempotency-Key reused by another user or for another request: 422. A key belongs to the
 * user and the request that first used it; a replay by them returns what that request did.
 */
export class IdempotencyKeyReusedError extends CustomErrorBase {
  name = 'IdempotencyKeyReusedError' as const;
  readonly statusCode = 422;
}

/** Refuses a replay whose user or request differs from the first use of the key (`what` names the request). */
export function checkReplay(
  what: string,
  first: { actor: string; request: unknown },
  replay: { actor: string; request: unknown },
): void {
  if (first.actor !== replay.actor) {
    throw new IdempotencyKeyReusedError(
      `This Idempotency-Key was used by another user (for a ${what}); use a new key`,
    );
  }
  if (JSON.stringify(first.request) !== JSON.stringify(replay.request)) {
    throw new IdempotencyKeyReusedError(
      `This Idempotency-Key was used for a different ${what}; use a new key`,
    );
  }
}

/** Polls `read` until `done` holds or `timeoutMs` passes; the last value read either way. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, pollMs));
    value = await read();
  }
  return value;
}

const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, ".", "_", ":" or "-" only');

/** The request's `Idempotency-Key` header, checked (400 when malformed); undefined when absent. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const header = req.header('idempotency-key');
  return header === undefined
    ? undefined
    : parseInput(idempotencyKeySchema, header, 'Idempotency-Key header');
}
