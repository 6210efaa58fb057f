import type {
  Signal,
  VendorApiValue,
} from '@vastai-incident/backstage-plugin-common';
import { createRedactor } from '../redact';
import {
  describeUpstreamError,
  HttpClient,
  UpstreamError,
  UpstreamFailureKind,
} from '../upstream';
import { guardProbe, isRecord, Probe, unknownSignal } from './signal';

export interface VendorApiProbeOptions {
  /** e.g. https://console.vast.ai/api/v0 */
  baseUrl?: string;
  operatorApiKey?: string;
  http: HttpClient;
  timeoutMs: number;
  maxBytes: number;
  /** Minimum time between two real calls, whoever asks: viewers never multiply the probe's calls. */
  minIntervalMs: number;
  now?: () => number;
}

const NO_ANSWER = new Set<UpstreamFailureKind>([
  'timeout',
  'refused',
  'reset',
  'network',
]);

/** How many answered calls the latency baseline remembers. */
const BASELINE_CALLS = 20;

/**
 * The probe's usual latency: the lower quartile of its recent answered calls, so a slow spell
 * has to last most of the window before it becomes "usual".
 */
export function latencyBaseline(recent: number[]): number | undefined {
  if (recent.length === 0) return undefined;
  const sorted = [...recent].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 4)];
}

function withBaseline(recent: number[]): { baselineLatencyMs?: number } {
  const baselineLatencyMs = latencyBaseline(recent);
  return baselineLatencyMs === undefined ? {} : { baselineLatencyMs };
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

/**
 * A refused key, whatever the status: some Vast.ai endpoints answer a bad key with 404 (or 400)
 * and the auth error only in the body.
 */
const AUTH_REFUSED =
  /invalid[ _](user[ _]|api[ _])?key|api key (is )?(invalid|revoked|expired)|authentication (failed|required)|not authenticated|unauthori[sz]ed/i;

/**
 * What a CDN or WAF in front of Vast.ai says when it refuses the caller's network: an HTML page
 * or a short text, never the API's JSON error.
 */
const EDGE_REFUSAL =
  /access denied|error code:? ?10\d\d|attention required|request (was )?blocked|cloudflare|forbidden by (administrative )?(rules|policy)/i;

/** A 403 from Vast.ai's edge for the caller's network, told apart from a 403 about the key. */
export function isEdgeRefusal(
  status: number,
  body: string,
  headers: Record<string, string | string[] | undefined> = {},
): boolean {
  if (status !== 403) return false;
  const message = vendorMessage(body);
  if (message && AUTH_REFUSED.test(message)) return false;
  const text = body.trimStart();
  const fromEdge =
    headers['cf-ray'] !== undefined ||
    /cloudflare|akamai|cloudfront/i.test(String(headers.server ?? ''));
  return fromEdge || text.startsWith('<') || EDGE_REFUSAL.test(text);
}

/** Classifies one answer of `GET users/current/` as the runbook reads it. */
export function classifyVendorAnswer(
  status: number,
  message: string | undefined,
  edgeRefusal = false,
): Pick<Signal<VendorApiValue>, 'state' | 'summary'> & {
  value: VendorApiValue;
} {
  const authRefused = !!message && AUTH_REFUSED.test(message);
  if (status >= 200 && status < 300 && !authRefused) {
    return {
      state: 'ok',
      summary: `Vast.ai API answers (HTTP ${status})`,
      value: { outcome: 'ok', httpStatus: status },
    };
  }
  if (edgeRefusal) {
    return {
      state: 'failing',
      summary: `Vast.ai's edge refuses the portal's network (HTTP ${status}, not a key problem)`,
      value: { outcome: 'edge-blocked', httpStatus: status, message },
    };
  }
  if (status === 401 || status === 403 || authRefused) {
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
  const answeredLatencies: number[] = [];

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
      let headers: Record<string, string | string[] | undefined>;
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
        headers = response.headers;
      } catch (error) {
        // No connection or no answer from the portal's network is evidence about Vast.ai, not
        // "unknown"; anything else (a redirect, an oversized body, our own abort) says nothing.
        if (!(error instanceof UpstreamError && NO_ANSWER.has(error.kind)))
          throw error;
        const reason = redact(describeUpstreamError(error));
        const timedOut =
          error instanceof UpstreamError && error.kind === 'timeout';
        return {
          source: 'vendor-api',
          state: 'failing',
          summary: timedOut
            ? `Vast.ai API did not answer within ${options.timeoutMs} ms`
            : `Vast.ai API unreachable: ${reason}`,
          value: {
            outcome: timedOut ? 'timeout' : 'unreachable',
            message: reason,
            ...withBaseline(answeredLatencies),
          },
          observedAt: new Date().toISOString(),
          latencyMs: Date.now() - startedAt,
        };
      }
      const latencyMs = Date.now() - startedAt;
      const message = vendorMessage(body);
      const edge = isEdgeRefusal(status, body, headers);
      body = '';
      const verdict = classifyVendorAnswer(
        status,
        message ? redact(message) : undefined,
        edge,
      );
      const baseline = withBaseline(answeredLatencies);
      if (verdict.value.outcome === 'ok') {
        answeredLatencies.push(latencyMs);
        if (answeredLatencies.length > BASELINE_CALLS)
          answeredLatencies.shift();
      }
      return {
        source: 'vendor-api',
        ...verdict,
        value: { ...verdict.value, ...baseline },
        observedAt: new Date().toISOString(),
        latencyMs,
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
