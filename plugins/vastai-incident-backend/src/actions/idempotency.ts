import { createHash, timingSafeEqual } from 'node:crypto';
import { CustomErrorBase } from '@backstage/errors';
import type { RunActionRequest } from './context';
import { userOf } from './runRecord';
import type { StoredRun } from './store';
import type { ActionRun } from './types';

/** An Idempotency-Key sent again by someone else or for something else: 422, never the run. */
export class IdempotencyKeyReusedError extends CustomErrorBase {
  name = 'IdempotencyKeyReusedError' as const;
  readonly statusCode = 422;
}

/**
 * What a request asks for, as a digest salted with the run id: the same request digests alike
 * for its own run, and neither the request nor a pasted key in it can be read back or matched
 * across runs.
 */
export function requestDigest(salt: string, req: RunActionRequest): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        salt,
        req.entityRef,
        req.actionId,
        req.dryRun,
        req.newApiKey ?? null,
      ]),
    )
    .digest('hex');
}

/**
 * A replay answers the stored run only to the user who sent the key first, for the very same
 * request (entity, action and body). Anything else is refused without a word about that run.
 */
export function replayOf(stored: StoredRun, req: RunActionRequest): ActionRun {
  if (stored.actor !== userOf(req.credentials)) {
    throw new IdempotencyKeyReusedError(
      'This Idempotency-Key was already used by another user; send a new key for a new request',
    );
  }
  const expected = Buffer.from(stored.requestHash ?? '', 'utf8');
  const actual = Buffer.from(requestDigest(stored.run.runId, req), 'utf8');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new IdempotencyKeyReusedError(
      'This Idempotency-Key was already used for a different request (entity, action or body); send a new key for a new request',
    );
  }
  return stored.run;
}
