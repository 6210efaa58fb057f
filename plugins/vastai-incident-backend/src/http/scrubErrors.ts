import type express from 'express';

type Redact = (text: string) => string;

/** How deep an error's `cause` chain is followed; deeper causes are dropped. */
const MAX_CAUSE_DEPTH = 5;

/**
 * A copy of the error (same class, so the status code and name still hold) whose texts passed
 * the redactor. Fields that are neither text, number nor boolean (a client's response body, its
 * headers) are dropped: Backstage's error handler would serialise them into the answer.
 */
export function scrubError(error: unknown, redact: Redact, depth = 0): unknown {
  if (!(error instanceof Error)) {
    return typeof error === 'string' ? redact(error) : error;
  }
  const copy: Record<string, unknown> = Object.create(
    Object.getPrototypeOf(error),
  );
  for (const key of Object.getOwnPropertyNames(error)) {
    const value = (error as unknown as Record<string, unknown>)[key];
    let safe: unknown;
    if (key === 'cause') {
      safe =
        depth < MAX_CAUSE_DEPTH
          ? scrubError(value, redact, depth + 1)
          : undefined;
    } else if (typeof value === 'string') {
      safe = redact(value);
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      safe = value;
    }
    if (safe !== undefined) {
      Object.defineProperty(copy, key, {
        value: safe,
        writable: true,
        configurable: true,
        enumerable: Object.prototype.propertyIsEnumerable.call(error, key),
      });
    }
  }
  return copy;
}

/**
 * The last handler of the plugin's router: every error on its way to Backstage's error handler
 * passes the redactor, and so does the request URL that handler echoes (`request.url`), so a key
 * sent in a path or a query never comes back in the answer or in the handler's log line.
 */
export function scrubErrors(redact: Redact): express.ErrorRequestHandler {
  return (error, req, _res, next) => {
    req.url = redact(req.url);
    next(scrubError(error, redact));
  };
}
