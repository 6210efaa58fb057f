/** How `eventually` polls; a bare number is `timeoutMs`. */
export interface EventuallyOptions<T> {
  /** When the probed value is good enough; by default when it is truthy. */
  accept?: (value: T) => boolean;
  /** Named in the timeout error: "timed out waiting for <what>", e.g. 'the rollout to finish'. */
  what?: string;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Pause between probes; default 50 ms (pass more for probes that cost an HTTP call). */
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Probes until `accept` holds and returns the accepted value. A probe that throws counts as "not
 * yet"; on timeout the error names the last value and the last error, so a failure says why.
 * Tests wait with this instead of fixed sleeps.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  options: EventuallyOptions<T> | number = {},
): Promise<T> {
  const {
    accept = (value: T) => Boolean(value),
    what = 'the condition',
    timeoutMs = 10_000,
    intervalMs = 50,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const lastValue = JSON.stringify(last)?.slice(0, 2000);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${lastValue}${
          lastError ? `; last error: ${lastError}` : ''
        }`,
      );
    }
    await sleep(intervalMs);
  }
}
