import { redactText } from '../redact';

/** Why an upstream call produced no usable answer. */
export type UpstreamFailureKind =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'network'
  | 'too-large'
  | 'redirect'
  | 'blocked'
  | 'aborted';

/**
 * A failed upstream call. The message is written by us and scrubbed, so it may reach a client
 * or a log (S8); the original error is kept out of it on purpose.
 */
export class UpstreamError extends Error {
  readonly kind: UpstreamFailureKind;

  constructor(kind: UpstreamFailureKind, message: string) {
    super(redactText(message));
    this.name = 'UpstreamError';
    this.kind = kind;
  }
}

/** A short, scrubbed, human reason for any error thrown while talking to an upstream. */
export function describeUpstreamError(error: unknown): string {
  if (error instanceof UpstreamError) {
    return error.message;
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number' && code >= 100 && code < 600) {
    // e.g. the Kubernetes client's ApiException, whose message quotes the whole body.
    return `upstream answered HTTP ${code}`;
  }
  if (typeof code === 'string') {
    return `network error (${code})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return redactText(message).slice(0, 200);
}
