import { ResponseError } from '@backstage/errors';

/** An error said for people: what happened, and whether trying again makes sense. */
export interface DescribedError {
  title: string;
  message: string;
  /** True when the same request may be sent again (5xx, network): the Idempotency-Key is kept. */
  retryable: boolean;
}

export function describeError(error: unknown): DescribedError {
  if (ResponseError.is(error as Error)) {
    const response = error as ResponseError;
    const status = response.statusCode;
    const detail = response.body?.error?.message || response.message;
    if (status === 403) {
      return {
        title: 'Not allowed (403)',
        message: `The server refused: ${detail}`,
        retryable: false,
      };
    }
    if (status === 409) {
      return {
        title: 'Conflict (409)',
        message: detail,
        retryable: false,
      };
    }
    if (status === 400) {
      return { title: 'Rejected (400)', message: detail, retryable: false };
    }
    if (status === 404) {
      return { title: 'Not found (404)', message: detail, retryable: false };
    }
    if (status >= 500) {
      return {
        title: `The backend failed (${status})`,
        message: `${detail}. Trying again is safe: it sends the same Idempotency-Key, so the action runs at most once.`,
        retryable: true,
      };
    }
    return {
      title: `Request failed (${status})`,
      message: detail,
      retryable: false,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    title: 'Could not reach the backend',
    message: `${message}. Trying again is safe: it sends the same Idempotency-Key.`,
    retryable: true,
  };
}
