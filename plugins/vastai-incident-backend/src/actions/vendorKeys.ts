import { vendorMessage } from '../probes/vendorApi';
import {
  describeUpstreamError,
  HttpClient,
  upstreamExcerpt,
} from '../upstream';

/** Vast.ai API key management with the operator key (never the service's key). */
export interface VendorKeyClient {
  /** `POST /auth/apikeys/`: a new key; its value stays in memory for one run only. */
  createKey(name: string): Promise<{ id: number; key: string }>;
  /**
   * The id of the key with this value, or `undefined` when the vendor does not accept it (revoked).
   * Asks `users/current/` with that key and drops the `api_key` field unread.
   */
  idOfKey(key: string): Promise<number | undefined>;
  /** `GET /auth/apikeys/`: ids and names only. */
  listKeys(): Promise<Array<{ id: number; name?: string }>>;
  /** `DELETE /auth/apikeys/{id}/`; false when the vendor no longer has it (404). */
  deleteKey(id: number): Promise<boolean>;
}

export class VendorKeyError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'VendorKeyError';
  }
}

export function createVendorKeyClient(options: {
  baseUrl: string;
  operatorApiKey: string;
  http: HttpClient;
  timeoutMs: number;
  maxBytes: number;
}): VendorKeyClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  async function call(
    what: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    init: { key?: string; body?: unknown } = {},
  ) {
    let response;
    try {
      // No retries: key creation and deletion are not idempotent, and a retry costs rate budget.
      response = await options.http({
        url: `${base}${path}`,
        method,
        headers: {
          authorization: `Bearer ${init.key ?? options.operatorApiKey}`,
          accept: 'application/json',
          ...(init.body !== undefined
            ? { 'content-type': 'application/json' }
            : {}),
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
      });
    } catch (error) {
      throw new VendorKeyError(
        `Vast.ai ${what}: ${describeUpstreamError(error)}`,
      );
    }
    return response;
  }
  const failure = (what: string, status: number, body: string) => {
    // vendorMessage drops api_key; the message is the vendor's short error text.
    const message = vendorMessage(body);
    return new VendorKeyError(
      `Vast.ai ${what} answered HTTP ${status}${
        message ? ` (${upstreamExcerpt(message, 120)})` : ''
      }`,
      status,
    );
  };

  return {
    async createKey(name) {
      const r = await call('key creation', 'POST', '/auth/apikeys/', {
        body: { name, permissions: { read: true } },
      });
      if (r.status < 200 || r.status >= 300)
        throw failure('key creation', r.status, r.body);
      let parsed: any;
      try {
        parsed = JSON.parse(r.body);
      } catch {
        throw new VendorKeyError(
          'Vast.ai key creation: the answer is not JSON',
        );
      }
      if (
        typeof parsed?.key !== 'string' ||
        !parsed.key ||
        typeof parsed?.id !== 'number'
      ) {
        throw new VendorKeyError(
          'Vast.ai key creation: the answer has no key and id',
        );
      }
      return { id: parsed.id, key: parsed.key };
    },
    async idOfKey(key) {
      const r = await call('key lookup', 'GET', '/users/current/', { key });
      if (r.status === 401 || r.status === 403) return undefined;
      if (r.status < 200 || r.status >= 300) {
        if (/invalid user key/i.test(vendorMessage(r.body) ?? ''))
          return undefined;
        throw failure('key lookup', r.status, r.body);
      }
      try {
        const parsed = JSON.parse(r.body);
        delete parsed.api_key;
        return typeof parsed?.key_id === 'number' ? parsed.key_id : undefined;
      } catch {
        return undefined;
      }
    },
    async listKeys() {
      const r = await call('key list', 'GET', '/auth/apikeys/');
      if (r.status < 200 || r.status >= 300)
        throw failure('key list', r.status, r.body);
      try {
        const parsed = JSON.parse(r.body);
        const keys: unknown[] = Array.isArray(parsed?.apikeys)
          ? parsed.apikeys
          : [];
        return keys
          .filter((k: any) => typeof k?.id === 'number')
          .map((k: any) => ({
            id: k.id,
            name: typeof k.name === 'string' ? k.name : undefined,
          }));
      } catch {
        throw new VendorKeyError('Vast.ai key list: the answer is not JSON');
      }
    },
    async deleteKey(id) {
      const r = await call('key deletion', 'DELETE', `/auth/apikeys/${id}/`);
      if (r.status === 404) return false;
      if (r.status < 200 || r.status >= 300)
        throw failure('key deletion', r.status, r.body);
      return true;
    },
  };
}
