import type {
  Signal,
  VendorApiValue,
} from '@internal/plugin-vastai-incident-common';
import { createRedactor } from '../redact';
import { HttpClient, UpstreamError, describeUpstreamError } from '../upstream';
import { guardProbe, isRecord, Probe, unknownSignal } from './signal';

export interface VendorApiProbeOptions {
  /** e.g. https://console.vast.ai/api/v0 */
  baseUrl?: string;
  operatorApiKey?: string;
  http: HttpClient;
  timeoutMs: number;
  maxBytes: number;
  /** Minimum time between two real calls, whoever asks (S25). */
  minIntervalMs: number;
  now?: () => number;
}

/**
 * Reads the vendor's error text from a body in any of its shapes, after dropping `api_key`
 * (users/current/ returns the account's key: it must not reach anything else).
 */
export function vendorMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const text = body.trim();
    return text && !text.startsWith('<') ? text.slice(0, 200) : undefined;
  }
  if (!isRecord(parsed)) return undefined;
  delete parsed.api_key;
  for (const field of ['msg', 'message', 'detail', 'error', 'text']) {
    const value = parsed[field];
    if (typeof value === 'string' && value.trim())
      return value.trim().slice(0, 200);
  }
  return undefined;
}

const INVALID_KEY = /invalid user key/i;

/** Classifies one answer of `GET users/current/` as the runbook reads it. */
export function classifyVendorAnswer(
  status: number,
  message: string | undefined,
): Pick<Signal<VendorApiValue>, 'state' | 'summary'> & {
  value: VendorApiValue;
} {
  if (
    status >= 200 &&
    status < 300 &&
    !(message && INVALID_KEY.test(message))
  ) {
    return {
      state: 'ok',
      summary: `Vast.ai API answers (HTTP ${status})`,
      value: { outcome: 'ok', httpStatus: status },
    };
  }
  if (
    status === 401 ||
    status === 403 ||
    (message && INVALID_KEY.test(message))
  ) {
    return {
      state: 'failing',
      summary: `Vast.ai API refuses the operator key (HTTP ${status})`,
      value: { outcome: 'auth-failure', httpStatus: status, message },
    };
  }
  if (status === 429) {
    return {
      state: 'degraded',
      summary: 'Vast.ai API rate-limits the probe (HTTP 429)',
      value: { outcome: 'rate-limited', httpStatus: status, message },
    };
  }
  if (status >= 500) {
    return {
      state: 'failing',
      summary: `Vast.ai API errors (HTTP ${status})`,
      value: { outcome: 'vendor-error', httpStatus: status, message },
    };
  }
  return {
    state: 'degraded',
    summary: `Vast.ai API answered HTTP ${status}`,
    value: { outcome: 'vendor-error', httpStatus: status, message },
  };
}

/**
 * The product's own cheap authenticated call. At most one real call per `minIntervalMs` (doubled
 * after a 429, up to 10 minutes): in between, every caller gets the last answer.
 */
export function createVendorApiProbe(
  options: VendorApiProbeOptions,
): Probe<VendorApiValue> {
  const now = options.now ?? Date.now;
  const redact = createRedactor([options.operatorApiKey]);
  let lastCallAt = -Infinity;
  let intervalMs = options.minIntervalMs;
  let last: Signal<VendorApiValue> | undefined;
  let inflight: Promise<Signal<VendorApiValue>> | undefined;

  const call = (signal?: AbortSignal) =>
    guardProbe<VendorApiValue>('vendor-api', async startedAt => {
      if (!options.baseUrl || !options.operatorApiKey) {
        return unknownSignal(
          'vendor-api',
          'no vendor API URL or operator key is configured',
          startedAt,
        );
      }
      const url = `${options.baseUrl.replace(/\/+$/, '')}/users/current/`;
      let status: number;
      let body: string;
      try {
        // No retries: a retry would cost rate-limit budget, and the interval bounds the next try.
        const response = await options.http({
          url,
          headers: {
            authorization: `Bearer ${options.operatorApiKey}`,
            accept: 'application/json',
          },
          timeoutMs: options.timeoutMs,
          maxBytes: options.maxBytes,
          signal,
        });
        status = response.status;
        body = response.body;
      } catch (error) {
        const reason = redact(describeUpstreamError(error));
        const timedOut =
          error instanceof UpstreamError && error.kind === 'timeout';
        return {
          ...unknownSignal<VendorApiValue>('vendor-api', reason, startedAt, {
            outcome: 'unreachable',
            message: reason,
          }),
          summary: timedOut
            ? `Vast.ai API did not answer within ${options.timeoutMs} ms`
            : `Vast.ai API unreachable: ${reason}`,
        };
      }
      const message = vendorMessage(body);
      body = '';
      const verdict = classifyVendorAnswer(
        status,
        message ? redact(message) : undefined,
      );
      return {
        source: 'vendor-api',
        ...verdict,
        observedAt: new Date().toISOString(),
        latencyMs: Date.now() - startedAt,
      };
    });

  return async ({ signal } = {}) => {
    if (inflight) return inflight;
    if (last && now() - lastCallAt < intervalMs) return last;
    lastCallAt = now();
    inflight = call(signal).then(result => {
      last = result;
      intervalMs =
        result.value?.outcome === 'rate-limited'
          ? Math.min(intervalMs * 2, 10 * 60 * 1000)
          : options.minIntervalMs;
      return result;
    });
    try {
      return await inflight;
    } finally {
      inflight = undefined;
    }
  };
}
