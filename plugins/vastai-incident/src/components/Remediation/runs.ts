import type {
  ActionRun,
  ActionRunStatus,
} from '@vastai-incident/backstage-plugin-common';

/** States after which a run changes no more. */
export const FINAL_RUN_STATUSES: ReadonlyArray<ActionRunStatus> = [
  'dry-run',
  'rejected',
  'succeeded',
  'unverified',
  'failed',
  'interrupted',
];

export function isFinalRun(run: ActionRun): boolean {
  return FINAL_RUN_STATUSES.includes(run.status);
}

/** A fresh Idempotency-Key: one per confirmation, reused by its retries. */
export function newIdempotencyKey(): string {
  const cryptoApi = globalThis.crypto;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  const bytes = new Uint8Array(16);
  cryptoApi.getRandomValues(bytes);
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}
