/** API errors answered as real `Status` objects (kind Status, apiVersion v1). */
import { ResourceInfo, qualifiedName } from './resources';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: {
      name?: string;
      group?: string;
      kind?: string;
      causes?: StatusCause[];
      retryAfterSeconds?: number;
    },
  ) {
    super(message);
  }

  toStatus() {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** A Status about one object: `<resource>.<group> "<name>"` in the message, and as details. */
const objectError =
  (code: number, reason: string, message: (object: string) => string) =>
  (info: ResourceInfo, name: string) =>
    new ApiError(code, reason, message(`${qualifiedName(info)} "${name}"`), {
      name,
      group: info.group || undefined,
      kind: info.name,
    });

export const notFound = objectError(
  404,
  'NotFound',
  object => `${object} not found`,
);

export const alreadyExists = objectError(
  409,
  'AlreadyExists',
  object => `${object} already exists`,
);

export const conflict = objectError(
  409,
  'Conflict',
  object =>
    `Operation cannot be fulfilled on ${object}: the object has been modified; please apply your changes to the latest version and try again`,
);

export const invalid = (
  info: ResourceInfo,
  name: string,
  causes: Array<{ field: string; message: string; reason?: string }>,
) =>
  new ApiError(
    422,
    'Invalid',
    `${info.kind}${
      info.group ? `.${info.group}` : ''
    } "${name}" is invalid: ${causes
      .map(c => `${c.field}: ${c.message}`)
      .join(', ')}`,
    {
      name,
      group: info.group || undefined,
      kind: info.kind,
      causes: causes.map(c => ({
        reason: c.reason ?? 'FieldValueInvalid',
        message: c.message,
        field: c.field,
      })),
    },
  );

export const badRequest = (message: string) =>
  new ApiError(400, 'BadRequest', message);

export const methodNotAllowed = () =>
  new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );

export const pathNotFound = () =>
  new ApiError(
    404,
    'NotFound',
    'the server could not find the requested resource',
    {},
  );
