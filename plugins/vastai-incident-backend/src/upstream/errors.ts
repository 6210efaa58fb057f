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
 * or a log; the original error is kept out of it on purpose.
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
  return upstreamExcerpt(message, 200);
}

/**
 * An upstream's own words (an error body's message) fit to quote in an error: redacted before
 * it is cut (a cut key would no longer be recognised), folded to one line, at most `max` long.
 */
export function upstreamExcerpt(
  text: string,
  max: number,
  redact: (text: string) => string = redactText,
): string {
  return redact(text).replace(/\s+/g, ' ').trim().slice(0, max);
}
