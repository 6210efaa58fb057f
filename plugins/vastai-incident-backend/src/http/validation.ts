import { InputError } from '@backstage/errors';
import express from 'express';
import { z } from 'zod';

/**
 * Entity ref parts as the catalog allows them (letters, digits, - _ .), so nothing else reaches
 * the catalog, a cache key or a log line.
 */
export const ENTITY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const entityRefPart = z
  .string()
  .min(1)
  .max(253)
  .regex(ENTITY_NAME_PATTERN, 'must be letters, digits, ".", "_" or "-"');

/** The `:namespace/:kind/:name` path parameters of the entity routes. */
export const entityParams = z.object({
  namespace: entityRefPart,
  kind: entityRefPart,
  name: entityRefPart,
});

/**
 * Validates request input; failures become a 400 `InputError` naming each bad field. The
 * messages never quote the offending value (it may be a pasted key).
 */
export function parseInput<T>(
  schema: z.ZodType<T, any, any>,
  input: unknown,
  what: string,
): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues
      .map(issue => `${issue.path.join('.') || what}: ${issue.message}`)
      .join('; ');
    throw new InputError(`Invalid ${what}: ${detail}`);
  }
  return result.data;
}

/**
 * JSON body parsing whose failures never quote the body: body-parser's messages (and the error
 * object Backstage's error handler serialises) carry the raw text, which may hold a pasted key.
 */
export function jsonBody(limit: string): express.RequestHandler[] {
  const parse = express.json({ limit });
  return [
    parse,
    ((error, _req, _res, next) => {
      next(
        error?.type
          ? new InputError('Invalid body: not JSON of the expected size')
          : error,
      );
    }) as express.ErrorRequestHandler as unknown as express.RequestHandler,
  ];
}
