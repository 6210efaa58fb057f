/** The integration service's Vast.ai client: one offer search, classified the way the runbook does. */

export type VastErrorType =
  | 'auth_error'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network_error'
  | 'client_error';
export const ERROR_TYPES: VastErrorType[] = [
  'auth_error',
  'rate_limited',
  'server_error',
  'timeout',
  'network_error',
];

export interface VastCallResult {
  method: string;
  endpoint: string;
  /** HTTP status as a label: "200", "401" ... or "timeout" / "network_error" when none came back. */
  status: string;
  errorType?: VastErrorType;
  /** A short, key-free description of the failure for logs. */
  message?: string;
  durationSeconds: number;
  offers?: unknown[];
  /** True when the pod stopped while the call was in flight (not an outcome of the call). */
  cancelled?: boolean;
}

export const OFFERS_ENDPOINT = '/api/v0/bundles/';

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text);
    if (typeof body === 'string') return body;
    const m = body?.msg ?? body?.message ?? body?.detail ?? body?.error;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: plain text or an HTML error page
  }
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  return (title ?? text).trim().slice(0, 160);
}

export function classify(
  status: number,
  message: string,
): VastErrorType | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 401 || status === 403 || /invalid user key/i.test(message))
    return 'auth_error';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

export async function searchOffers(options: {
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  stopSignal: AbortSignal;
}): Promise<VastCallResult> {
  const started = performance.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
  const onStop = () => timeout.abort();
  options.stopSignal.addEventListener('abort', onStop);
  const base = { method: 'POST', endpoint: OFFERS_ENDPOINT };
  const elapsed = () => (performance.now() - started) / 1000;
  try {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    const res = await fetch(`${options.baseUrl}${OFFERS_ENDPOINT}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        limit: 5,
        verified: { eq: true },
        rentable: { eq: true },
        order: [['dph_total', 'asc']],
      }),
      signal: timeout.signal,
    });
    const text = await res.text();
    const message = res.ok ? undefined : errorMessage(text);
    const errorType = classify(res.status, message ?? '');
    let offers: unknown[] | undefined;
    if (!errorType) {
      try {
        offers = JSON.parse(text).offers;
      } catch {
        offers = undefined;
      }
    }
    return {
      ...base,
      status: String(res.status),
      errorType,
      message,
      durationSeconds: elapsed(),
      offers,
    };
  } catch (error: any) {
    if (options.stopSignal.aborted)
      return {
        ...base,
        status: 'cancelled',
        durationSeconds: elapsed(),
        cancelled: true,
      };
    if (timeout.signal.aborted) {
      return {
        ...base,
        status: 'timeout',
        errorType: 'timeout',
        message: `no answer within ${options.timeoutMs} ms`,
        durationSeconds: elapsed(),
      };
    }
    const code = error?.cause?.code ?? error?.code ?? error?.name;
    return {
      ...base,
      status: 'network_error',
      errorType: 'network_error',
      message: String(code ?? 'fetch failed'),
      durationSeconds: elapsed(),
    };
  } finally {
    clearTimeout(timer);
    options.stopSignal.removeEventListener('abort', onStop);
  }
}
