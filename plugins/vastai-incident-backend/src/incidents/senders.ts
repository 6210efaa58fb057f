import {
  describeUpstreamError,
  HttpClient,
  HttpResponse,
  UpstreamError,
} from '../upstream';
import type { SlackConfig, StatuspageConfig } from './commsConfig';

/** The outcome of one attempt to deliver a message upstream. Never throws. */
export type SendOutcome =
  | { ok: true; upstreamStatus: number; upstreamId?: string }
  | {
      ok: false;
      /** Scrubbed, written by us: may be stored and shown. */
      reason: string;
      retryable: boolean;
      retryAfterMs?: number;
      upstreamStatus?: number;
    };

export interface SenderOptions {
  http: HttpClient;
  timeoutMs: number;
  redact: (text: string) => string;
}

/** Retry-After in seconds or as an HTTP date; capped at an hour. */
export function retryAfterMs(
  header: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  let ms: number | undefined;
  if (Number.isFinite(seconds) && seconds >= 0) ms = seconds * 1000;
  else {
    const date = Date.parse(value);
    if (Number.isFinite(date)) ms = Math.max(0, date - now);
  }
  return ms === undefined ? undefined : Math.min(ms, 3_600_000);
}

/** A short, safe excerpt of an upstream error body (Slack answers plain strings). */
function bodyExcerpt(response: HttpResponse, redact: (t: string) => string) {
  const text = response.body.trim();
  if (!text || text.startsWith('<')) return '';
  let message = text;
  try {
    const parsed = JSON.parse(text);
    message =
      parsed?.error ?? parsed?.message ?? parsed?.msg ?? JSON.stringify(parsed);
  } catch {
    // plain text, as Slack sends
  }
  return `: ${redact(String(message)).replace(/\s+/g, ' ').slice(0, 120)}`;
}

function failure(
  what: string,
  response: HttpResponse,
  redact: (t: string) => string,
): SendOutcome {
  const status = response.status;
  const after =
    status === 429 ? retryAfterMs(response.headers['retry-after']) : undefined;
  return {
    ok: false,
    reason:
      status === 429
        ? `${what} rate limited the message (HTTP 429${bodyExcerpt(
            response,
            redact,
          )})${
            after !== undefined
              ? `; retry after ${Math.ceil(after / 1000)} s`
              : ''
          }`
        : `${what} answered HTTP ${status}${bodyExcerpt(response, redact)}`,
    // Rate limits and server errors pass; a refused payload or a wrong key needs a person,
    // but a retry after they fixed the config must stay possible, so everything is retryable.
    retryable: true,
    retryAfterMs: after,
    upstreamStatus: status,
  };
}

export function networkFailure(what: string, error: unknown): SendOutcome {
  return {
    ok: false,
    reason: `${what} unreachable: ${describeUpstreamError(error)}`,
    retryable: true,
  };
}

/**
 * A create that got no answer may have been created upstream: it is not retryable, so that a
 * retry never creates a second public incident (Statuspage takes no idempotency key). Only a
 * call that never reached the upstream (refused, blocked) stays retryable.
 */
function unansweredCreate(what: string, error: unknown): SendOutcome {
  const kind = error instanceof UpstreamError ? error.kind : undefined;
  if (kind === 'refused' || kind === 'blocked') {
    return networkFailure(what, error);
  }
  return {
    ok: false,
    reason: `${what} gave no answer to creating the public incident (${describeUpstreamError(
      error,
    )}); it may exist already: check the status page before sending a new message`,
    retryable: false,
  };
}

export async function sendSlack(
  options: SenderOptions,
  config: SlackConfig,
  payload: { text: string; blocks: unknown[] },
): Promise<SendOutcome> {
  try {
    const response = await options.http({
      url: config.webhookUrl,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      timeoutMs: options.timeoutMs,
      maxBytes: 16 * 1024,
      onOverflow: 'truncate',
    });
    if (response.status >= 200 && response.status < 300) {
      return { ok: true, upstreamStatus: response.status };
    }
    return failure('Slack', response, options.redact);
  } catch (error) {
    return networkFailure('Slack', error);
  }
}

export interface StatuspageIncidentBody {
  name?: string;
  status: string;
  body: string;
  impact_override?: string;
  component_ids?: string[];
  components?: Record<string, string>;
  deliver_notifications?: boolean;
}

/** Creates (no id yet) or updates the page's incident; the answer carries the incident id. */
export async function sendStatuspage(
  options: SenderOptions,
  config: StatuspageConfig,
  existingId: string | undefined,
  incident: StatuspageIncidentBody,
): Promise<SendOutcome> {
  const page = encodeURIComponent(config.pageId);
  const url = existingId
    ? `${config.apiBaseUrl}/pages/${page}/incidents/${encodeURIComponent(
        existingId,
      )}`
    : `${config.apiBaseUrl}/pages/${page}/incidents`;
  try {
    const response = await options.http({
      url,
      method: existingId ? 'PATCH' : 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `OAuth ${config.apiKey}`,
      },
      body: JSON.stringify({ incident }),
      timeoutMs: options.timeoutMs,
      maxBytes: 256 * 1024,
    });
    if (response.status < 200 || response.status >= 300) {
      return failure('Statuspage', response, options.redact);
    }
    let id: unknown = existingId;
    try {
      id = JSON.parse(response.body)?.id ?? existingId;
    } catch {
      // an update needs no id back; a create does (checked below)
    }
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      return {
        ok: false,
        reason: 'Statuspage accepted the incident but answered no usable id',
        retryable: false,
        upstreamStatus: response.status,
      };
    }
    return { ok: true, upstreamStatus: response.status, upstreamId: id };
  } catch (error) {
    return existingId
      ? networkFailure('Statuspage', error)
      : unansweredCreate('Statuspage', error);
  }
}
