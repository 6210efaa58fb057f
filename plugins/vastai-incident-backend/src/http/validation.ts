import { InputError } from '@backstage/errors';
import express from 'express';
import { z } from 'zod';
import { redactText } from '../redact';

/** Field names a caller invented are quoted this far at most (they may be a pasted key). */
const QUOTED_NAME_MAX = 40;

/**
 * One issue in words that never quote the offending value: zod's own messages for an enum
 * ("received '...'") and for unknown fields do, so those are written here from the schema's side.
 */
function describeIssue(issue: z.ZodIssue): string {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_enum_value:
      return `must be one of ${issue.options.map(String).join(', ')}`;
    case z.ZodIssueCode.unrecognized_keys:
      return `unexpected field(s) ${issue.keys
        .slice(0, 5)
        .map(key => `"${key.slice(0, QUOTED_NAME_MAX)}"`)
        .join(', ')}`;
    default:
      return issue.message;
  }
}

/**
 * Validates request input; failures become a 400 `InputError` naming each bad field. The
 * messages never quote the offending value (it may be a pasted key), and pass the redactor.
 */
export function parseInput<T>(
  schema: z.ZodType<T, any, any>,
  input: unknown,
  what: string,
): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues
      .map(issue => {
        const field = issue.path.join('.') || what;
        const message = describeIssue(issue);
        return message.startsWith(field) ? message : `${field}: ${message}`;
      })
      .join('; ');
    throw new InputError(redactText(`Invalid ${what}: ${detail}`));
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
