/** Checks shared by the readers of the `vastaiIncident` block; messages name the key, never a value. */

export function configError(key: string, message: string): Error {
  return new Error(`Invalid config at vastaiIncident.${key}: ${message}`);
}

/** An http(s) URL without credentials in it (they belong in their own secret keys). */
export function checkUrl(key: string, value: string): string;
export function checkUrl(
  key: string,
  value: string | undefined,
): string | undefined;
export function checkUrl(
  key: string,
  value: string | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(key, 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(key, 'must be an http(s) URL');
  }
  if (url.username || url.password) {
    throw configError(key, 'credentials in URLs are not allowed');
  }
  return value;
}
