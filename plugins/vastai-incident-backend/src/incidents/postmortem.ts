import {
  Incident,
  MetricRangeResponse,
  SEVERITY_MEANING,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import { clipToWindow } from './evidence';

export interface FailedRequests {
  /** Estimated failed calls to Vast.ai in the window; null = no data. */
  total: number | null;
  byClass: Record<string, number>;
  /** Why there is no number. */
  reason?: string;
}

/**
 * Failed requests in the window, from `errors-by-class` (per-minute rates per error class):
 * the integral of each rate over the window, one step per point. Missing points count as no
 * data, not zero; with no point at all the answer is null.
 */
export function failedRequestsFrom(
  response: MetricRangeResponse | undefined,
  fromSec: number,
  toSec: number,
): FailedRequests {
  if (!response) return { total: null, byClass: {}, reason: 'no metrics' };
  const clipped = clipToWindow(response, fromSec, toSec);
  const byClass: Record<string, number> = {};
  let seen = false;
  for (const series of clipped.series) {
    const name = series.labels.error_type ?? 'unknown';
    for (const [, value] of series.points) {
      if (value === null) continue;
      seen = true;
      byClass[name] =
        (byClass[name] ?? 0) + (value * response.stepSeconds) / 60;
    }
  }
  if (!seen) {
    return {
      total: null,
      byClass: {},
      reason: response.reason ?? 'Prometheus had no data for the window',
    };
  }
  for (const key of Object.keys(byClass))
    byClass[key] = Math.round(byClass[key]);
  const total = Object.values(byClass).reduce((a, b) => a + b, 0);
  return { total, byClass };
}

export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} h ${m} min` : `${m} min`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The runbook's words for the error classes our metrics count. */
const ERROR_TYPE_WORDS: Record<string, string> = {
  auth_error: 'authentication failures (401/403)',
  rate_limited: 'rate limiting (429)',
  server_error: 'server errors (5xx)',
  timeout: 'timeouts',
  network_error: 'network errors',
  client_error: 'request errors (4xx)',
};

/** Marks what the product cannot know: people fill it in before the postmortem is final. */
export const TO_FILL_IN = '**TO FILL IN**';

/**
 * The incident's error type, for the title: the error class with the most failed requests in
 * the window, in words; without metrics, the incident's own title.
 */
export function errorTypeOf(
  incident: Incident,
  failed: FailedRequests,
): string {
  const [top] = Object.entries(failed.byClass)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (top) return ERROR_TYPE_WORDS[top[0]] ?? top[0].replace(/_/g, ' ');
  // "Vast.ai API returns 503" reads "Incident: Vast.ai API returns 503", not "Vast.ai Vast.ai".
  return (
    incident.title.replace(/^\s*vast\.?ai\b[\s:-]*/i, '') || incident.title
  );
}

/**
 * The runbook's postmortem template, filled with what the product knows: the title
 * `Incident: Vast.ai <error type>`, Date, Duration and Severity, then Summary, Timeline, Root
 * Cause, Impact (users affected, revenue impact) and Action Items (owner, due date), in that
 * order. What only people know is marked TO FILL IN.
 */
export function postmortemMarkdown(options: {
  incident: Incident;
  timeline: TimelineEvent[];
  failed: FailedRequests;
  now?: number;
}): string {
  const { incident, timeline, failed } = options;
  const now = options.now ?? Date.now();
  const start = Date.parse(incident.declaredAt);
  const end = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
  const duration = `${formatDuration(end - start)}${
    incident.resolvedAt ? '' : ' (still open)'
  }`;
  const byClass = Object.entries(failed.byClass)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k.replace(/\s+/g, ' ')} ${n}`)
    .join(', ');
  const failedLine =
    failed.total === null
      ? `Failed requests to Vast.ai in the window: unknown (${
          failed.reason ?? 'no data'
        }).`
      : `Failed requests to Vast.ai in the window: about ${
          failed.total
        } (from Prometheus${byClass ? `: ${byClass}` : ''}).`;
  return [
    `# Incident: Vast.ai ${errorTypeOf(incident, failed).replace(/\s+/g, ' ')}`,
    '',
    `- **Date:** ${incident.declaredAt.slice(0, 10)}`,
    `- **Duration:** ${duration} (declared ${incident.declaredAt}${
      incident.resolvedAt ? `, resolved ${incident.resolvedAt}` : ''
    })`,
    `- **Severity:** ${incident.severity} (${
      SEVERITY_MEANING[incident.severity]
    })`,
    '',
    `Entity: ${incident.entityRef} · Incident commander: ${incident.commander}`,
    '',
    '## Summary',
    '',
    `${incident.title}. ${incident.impact}`,
    '',
    '## Timeline',
    '',
    '| Time (UTC) | Event | By |',
    '|---|---|---|',
    ...timeline.map(
      e =>
        `| ${e.at.slice(0, 19).replace('T', ' ')} | ${cell(e.summary)} | ${cell(
          e.actor ?? '',
        )} |`,
    ),
    '',
    '## Root Cause',
    '',
    `${TO_FILL_IN}: what failed, and why.`,
    '',
    '## Impact',
    '',
    // No metric counts users or money: marked to fill in rather than guessed. The failed
    // requests are what the metrics measure (an upper bound on affected requests).
    `- **Users affected:** ${TO_FILL_IN} (no per-user metric)`,
    `- **Revenue impact:** ${TO_FILL_IN} (no revenue metric)`,
    `- ${failedLine}`,
    `- Stated impact: ${incident.impact}`,
    '',
    '## Action Items',
    '',
    '| Action | Owner | Due date |',
    '|---|---|---|',
    `| ${TO_FILL_IN} | ${TO_FILL_IN} | ${TO_FILL_IN} |`,
    '',
  ].join('\n');
}
