import type {
  Signal,
  SignalState,
  VendorStatusValue,
} from '@vastai-incident/backstage-plugin-common';
import type { HttpClient } from '../upstream';
import {
  guardProbe,
  InvalidAnswerError,
  isRecord,
  parseJsonBody,
  Probe,
  retriedGet,
  unknownSignal,
} from './signal';

/**
 * Reads one status page format. `parse` gets the decoded JSON and must throw
 * InvalidAnswerError when it is not what the format promises: then the signal is unknown,
 * never "operational".
 */
export interface StatusPageParser {
  type: string;
  /** The URL to fetch, from the configured page URL. */
  resolveUrl(pageUrl: string): string;
  parse(body: unknown): VendorStatusValue;
}

const INDICATORS = ['none', 'minor', 'major', 'critical'] as const;

function str(value: unknown, max = 300): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

/** Atlassian Statuspage v2 (`/api/v2/summary.json`). */
export const statuspageV2Parser: StatusPageParser = {
  type: 'statuspage',
  resolveUrl(pageUrl) {
    if (/\.json($|\?)/.test(pageUrl)) return pageUrl;
    return `${pageUrl.replace(/\/+$/, '')}/api/v2/summary.json`;
  },
  parse(body) {
    if (!isRecord(body) || !isRecord(body.status)) {
      throw new InvalidAnswerError('status page JSON has no "status" object');
    }
    const indicator = body.status.indicator;
    if (!INDICATORS.includes(indicator as (typeof INDICATORS)[number])) {
      throw new InvalidAnswerError(
        'status page JSON has no known status indicator',
      );
    }
    const components = Array.isArray(body.components) ? body.components : [];
    const incidents = Array.isArray(body.incidents) ? body.incidents : [];
    return {
      indicator: indicator as VendorStatusValue['indicator'],
      description: str(body.status.description) ?? '',
      components: components
        .filter(isRecord)
        .filter(c => !c.group)
        .slice(0, 100)
        .map(c => ({
          name: str(c.name, 200) ?? '?',
          status: str(c.status, 50) ?? 'unknown',
        })),
      incidents: incidents
        .filter(isRecord)
        // Statuspage lists unresolved incidents only; be safe with pages that do not.
        .filter(i => i.status !== 'resolved' && i.status !== 'postmortem')
        .slice(0, 50)
        .map(i => ({
          name: str(i.name, 300) ?? '?',
          status: str(i.status, 50) ?? 'unknown',
          impact: str(i.impact, 50) ?? 'unknown',
          updatedAt: str(i.updated_at, 40),
        })),
    };
  },
};

export const STATUS_PAGE_PARSERS: Record<string, StatusPageParser> = {
  statuspage: statuspageV2Parser,
};

/** Status page state: an incident or a broken component counts even when the indicator lags. */
export function vendorStatusState(value: VendorStatusValue): SignalState {
  if (value.indicator === 'major' || value.indicator === 'critical')
    return 'failing';
  if (value.components.some(c => c.status === 'major_outage')) return 'failing';
  if (value.indicator === 'minor') return 'degraded';
  if (value.incidents.length > 0) return 'degraded';
  if (
    value.components.some(
      c => c.status === 'partial_outage' || c.status === 'degraded_performance',
    )
  ) {
    return 'degraded';
  }
  return 'ok';
}

function summarize(value: VendorStatusValue): string {
  const incident = value.incidents[0];
  const base = value.description || `indicator ${value.indicator}`;
  return incident
    ? `status page: ${base}; incident "${incident.name}" (${incident.status})`
    : `status page: ${base}`;
}

export interface VendorStatusProbeOptions {
  type: string;
  url?: string;
  http: HttpClient;
  timeoutMs: number;
  maxBytes: number;
  retries?: number;
  parsers?: Record<string, StatusPageParser>;
}

export function createVendorStatusProbe(
  options: VendorStatusProbeOptions,
): Probe<VendorStatusValue> {
  const parsers = options.parsers ?? STATUS_PAGE_PARSERS;
  return ({ signal } = {}) =>
    guardProbe<VendorStatusValue>('vendor-status', async startedAt => {
      if (options.type === 'none' || !options.url) {
        // A deliberate choice (status.vast.ai offers no machine-readable status), not a gap.
        return {
          ...unknownSignal<VendorStatusValue>(
            'vendor-status',
            'no vendor status source is configured',
            startedAt,
          ),
          notConfigured: true,
        };
      }
      const parser = parsers[options.type];
      if (!parser) {
        return unknownSignal(
          'vendor-status',
          `no parser for status type "${options.type}"`,
          startedAt,
        );
      }
      const response = await retriedGet(
        { ...options, url: parser.resolveUrl(options.url), signal },
        startedAt,
      );
      if (response.status < 200 || response.status >= 300) {
        return unknownSignal(
          'vendor-status',
          `status page answered HTTP ${response.status}`,
          startedAt,
        );
      }
      const value = parser.parse(parseJsonBody(response.body, 'status page'));
      return {
        source: 'vendor-status',
        state: vendorStatusState(value),
        summary: summarize(value),
        value,
        observedAt: new Date().toISOString(),
        latencyMs: Date.now() - startedAt,
      } satisfies Signal<VendorStatusValue>;
    });
}
