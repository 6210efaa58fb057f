import { UpstreamError } from './errors';

export interface RetryOptions {
  /** Extra attempts after the first one. */
  retries: number;
  /** First backoff; each next one is `factor` times longer, with full jitter. */
  baseDelayMs?: number;
  factor?: number;
  /** No attempt starts after this time (ms since epoch), whatever `retries` says. */
  deadlineAt?: number;
  /** Which failures are worth another attempt. */
  shouldRetry?: (error: unknown) => boolean;
}

/** Transient failures of an idempotent read: network trouble and timeouts, not refusals by policy. */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof UpstreamError) {
    return (
      error.kind === 'network' ||
      error.kind === 'timeout' ||
      error.kind === 'refused' ||
      error.kind === 'reset'
    );
  }
  return (error as { retryable?: boolean })?.retryable === true;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Runs an idempotent read with bounded retries, exponential backoff and jitter. Never use it for
 * writes: a repeated write could act twice.
 */
export async function retryRead<T>(
  read: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const baseDelayMs = options.baseDelayMs ?? 150;
  const factor = options.factor ?? 1.5;
  const shouldRetry = options.shouldRetry ?? isTransientFailure;
  for (let attempt = 0; ; attempt++) {
    try {
      return await read(attempt);
    } catch (error) {
      if (attempt >= options.retries || !shouldRetry(error)) throw error;
      const delay = Math.random() * baseDelayMs * Math.pow(factor, attempt);
      if (
        options.deadlineAt !== undefined &&
        Date.now() + delay >= options.deadlineAt
      ) {
        throw error;
      }
      await sleep(delay);
    }
  }
}
