/*
 * The one fake `Response` of the frontend tests: a real Response, as the fetch API hands it over,
 * and the error body the backend's error handler answers with.
 */

const ERROR_NAMES: Record<number, string> = {
  400: 'InputError',
  403: 'NotAllowedError',
  404: 'NotFoundError',
  409: 'ConflictError',
};

/**
 * An answer with `status`: a Blob or a string is the body as it is, anything else is sent as
 * JSON. `statusText` is `HTTP <status>`, so error messages read the same in every test.
 */
export function fakeResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  const raw = body instanceof Blob || typeof body === 'string';
  return new Response(raw ? (body as Blob | string) : JSON.stringify(body), {
    status,
    statusText: `HTTP ${status}`,
    headers: raw ? headers : { 'content-type': 'application/json', ...headers },
  });
}

/** The JSON body of a failed request, as the backend's error handler writes it. */
export function errorBody(
  status: number,
  message: string,
  name = ERROR_NAMES[status] ?? 'Error',
) {
  return {
    error: { name, message },
    request: { method: 'GET', url: '/api/vastai-incident/v1' },
    response: { statusCode: status },
  };
}

/** A failed answer with the backend's error body. */
export function errorResponse(
  status: number,
  message: string,
  name?: string,
): Response {
  return fakeResponse(status, errorBody(status, message, name));
}
