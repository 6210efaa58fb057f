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

/** The runbook's postmortem template, filled with what the product knows; people fill the rest. */
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
  const impactLine =
    failed.total === null
      ? `Failed requests to Vast.ai in the window: unknown (${
          failed.reason ?? 'no data'
        }).`
      : `Failed requests to Vast.ai in the window: about ${
          failed.total
        } (from Prometheus${
          Object.keys(failed.byClass).length
            ? `: ${
                Object.entries(failed.byClass)
                  .filter(([, n]) => n > 0)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(', ') || 'none by class'
              }`
            : ''
        }).`;
  return [
    `# Postmortem: ${incident.title}`,
    '',
    `- **Date:** ${incident.declaredAt.slice(0, 10)}`,
    `- **Duration:** ${duration} (declared ${incident.declaredAt}${
      incident.resolvedAt ? `, resolved ${incident.resolvedAt}` : ''
    })`,
    `- **Severity:** ${incident.severity} (${
      SEVERITY_MEANING[incident.severity]
    })`,
    `- **Entity:** ${incident.entityRef}`,
    `- **Incident commander:** ${incident.commander}`,
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
    '## Impact',
    '',
    `- ${impactLine}`,
    `- Stated impact: ${incident.impact}`,
    '- Users affected: _to be completed_',
    '- Revenue impact: _to be completed_',
    '',
    '## Root cause',
    '',
    '_To be completed by the incident team._',
    '',
    '## Action items',
    '',
    '| Action | Owner | Due date |',
    '|---|---|---|',
    '| _to be completed_ | | |',
    '',
  ].join('\n');
}
