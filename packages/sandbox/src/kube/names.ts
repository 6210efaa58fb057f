/**
 * Generated names as the API server and the controllers make them: a 5-character suffix for
 * `generateName` and pods, a 10-character pod-template hash for ReplicaSets.
 */
import { createHash, randomBytes } from 'crypto';
import { stableStringify } from './objects';

/** The alphabet apimachinery's rand.String uses (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(bytes: Buffer, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++)
    s += SAFE_ALPHABET[bytes[i] % SAFE_ALPHABET.length];
  return s;
}

export const randomSuffix = () => safeEncode(randomBytes(5), 5);

/** The same template always hashes to the same name, so a rollback finds its old ReplicaSet. */
export function templateHash(template: unknown): string {
  return safeEncode(
    createHash('sha256').update(stableStringify(template)).digest(),
    10,
  );
}
