import type {
  Signal,
  SignalSource,
} from '@vastai-incident/backstage-plugin-common';
import {
  describeUpstreamError,
  HttpClient,
  HttpRequest,
  HttpResponse,
  retryRead,
} from '../upstream';

/** A probe: reads one upstream and says what it saw. Never throws. */
export type Probe<TValue> = (options?: {
  signal?: AbortSignal;
}) => Promise<Signal<TValue>>;

/** The signal of a probe that could not tell. */
export function unknownSignal<TValue>(
  source: SignalSource,
  reason: string,
  startedAt: number,
  value?: TValue,
): Signal<TValue> {
  return {
    source,
    state: 'unknown',
    summary: `unknown: ${reason}`,
    reason,
    value,
    observedAt: new Date().toISOString(),
    latencyMs: Date.now() - startedAt,
  };
}

/**
 * Runs a probe body and turns anything it throws into an `unknown` signal with a scrubbed
 * reason: the "never throws" guarantee of every probe lives here.
 */
export async function guardProbe<TValue>(
  source: SignalSource,
  body: (startedAt: number) => Promise<Signal<TValue>>,
): Promise<Signal<TValue>> {
  const startedAt = Date.now();
  try {
    return await body(startedAt);
  } catch (error) {
    return unknownSignal<TValue>(
      source,
      describeUpstreamError(error),
      startedAt,
    );
  }
}

/** One JSON read of a probe: the request, the client, and how many retries it may take. */
export interface ProbeRead
  extends Pick<
    HttpRequest,
    'url' | 'timeoutMs' | 'maxBytes' | 'signal' | 'lookup' | 'peerAllowed'
  > {
  http: HttpClient;
  retries?: number;
}

/**
 * An idempotent JSON GET with bounded retries (one by default), never running past twice the
 * per-call deadline from `startedAt`.
 */
export function retriedGet(
  read: ProbeRead,
  startedAt: number,
): Promise<HttpResponse> {
  const { url, timeoutMs, maxBytes, signal, lookup, peerAllowed } = read;
  const headers = { accept: 'application/json' };
  return retryRead(
    () =>
      read.http({
        url,
        headers,
        timeoutMs,
        maxBytes,
        signal,
        lookup,
        peerAllowed,
      }),
    { retries: read.retries ?? 1, deadlineAt: startedAt + timeoutMs * 2 },
  );
}

/** An upstream answered, but not with something we can read. */
export class InvalidAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAnswerError';
  }
}

/** Parses JSON from an upstream, with a reason instead of a parser message. */
export function parseJsonBody(body: string, what: string): unknown {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('<')) {
    throw new InvalidAnswerError(`${what} answered HTML, not JSON`);
  }
  try {
    return JSON.parse(body);
  } catch {
    throw new InvalidAnswerError(
      `${what} answered something that is not valid JSON`,
    );
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
