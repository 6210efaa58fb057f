import type {
  MetricQueryId,
  MetricRange,
} from '@vastai-incident/backstage-plugin-common';

/**
 * Quotes a value as a PromQL double-quoted string literal (Go escaping): backslash, quote and
 * every control character are escaped, so no value can end the literal early.
 */
export function promqlString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (char === '"') out += '\\"';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f)
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff)
      out += '\\ufffd'; // lone surrogate
    else out += char;
  }
  return `${out}"`;
}

export interface TemplateParams {
  /** The Prometheus `job` label value of the integration. */
  job: string;
  /** A PromQL duration (validated from config). */
  rateWindow: string;
}

export type QueryUnit = 'ratio' | 'per-minute' | 'seconds' | 'up' | 'count';

export interface QueryTemplate {
  unit: QueryUnit;
  render(params: TemplateParams): string;
}

const sel = (metric: string, job: string, extra = '') =>
  `${metric}{job=${promqlString(job)}${extra}}`;

const errorRateOf = (errorType: string) => (p: TemplateParams) =>
  `sum(rate(${sel(
    'vastai_errors_total',
    p.job,
    `, error_type="${errorType}"`,
  )}[${p.rateWindow}])) * 60`;

/**
 * Every PromQL the plugin ever sends, chosen by id. Rates are per minute, as the runbook's
 * thresholds are.
 */
export const QUERY_TEMPLATES: Record<MetricQueryId, QueryTemplate> = {
  'error-ratio': {
    unit: 'ratio',
    render: p =>
      `sum(rate(${sel('vastai_errors_total', p.job)}[${
        p.rateWindow
      }])) / sum(rate(${sel('vastai_requests_total', p.job)}[${
        p.rateWindow
      }]))`,
  },
  'errors-by-class': {
    unit: 'per-minute',
    render: p =>
      `sum by (error_type) (rate(${sel('vastai_errors_total', p.job)}[${
        p.rateWindow
      }])) * 60`,
  },
  'rate-limited-rate': {
    unit: 'per-minute',
    render: errorRateOf('rate_limited'),
  },
  'vendor-5xx-rate': {
    unit: 'per-minute',
    render: errorRateOf('server_error'),
  },
  'auth-error-rate': { unit: 'per-minute', render: errorRateOf('auth_error') },
  'p99-latency': {
    unit: 'seconds',
    render: p =>
      `histogram_quantile(0.99, sum by (le) (rate(${sel(
        'vastai_request_duration_seconds_bucket',
        p.job,
      )}[${p.rateWindow}])))`,
  },
  'scrape-up': { unit: 'up', render: p => `min(${sel('up', p.job)})` },
};

/** Instant-only helpers of the "errors in the last hour but none now" reading. */
export const INTERNAL_TEMPLATES = {
  'errors-last-hour': {
    unit: 'count',
    render: (p: TemplateParams) =>
      `sum(increase(${sel('vastai_errors_total', p.job)}[1h]))`,
  },
  'errors-now': {
    unit: 'per-minute',
    render: (p: TemplateParams) =>
      `sum(rate(${sel('vastai_errors_total', p.job)}[${p.rateWindow}])) * 60`,
  },
} satisfies Record<string, QueryTemplate>;

export type AnyTemplateId = MetricQueryId | keyof typeof INTERNAL_TEMPLATES;

export function renderQuery(id: AnyTemplateId, params: TemplateParams): string {
  const template =
    (QUERY_TEMPLATES as Record<string, QueryTemplate>)[id] ??
    (INTERNAL_TEMPLATES as Record<string, QueryTemplate>)[id];
  if (!template) throw new Error(`unknown query template ${id}`);
  return template.render(params);
}

/** Range length and resolution of each chart range: about 120-150 points each. */
export const RANGE_WINDOWS: Record<
  MetricRange,
  { seconds: number; stepSeconds: number }
> = {
  '1h': { seconds: 3600, stepSeconds: 30 },
  '6h': { seconds: 6 * 3600, stepSeconds: 180 },
  '24h': { seconds: 24 * 3600, stepSeconds: 600 },
};

/**
 * start/end/step of a range query, with `end` aligned down to the step so that viewers asking
 * within the same step share one cached answer.
 */
export function rangeBounds(range: MetricRange, nowMs: number) {
  const { seconds, stepSeconds } = RANGE_WINDOWS[range];
  const end = Math.floor(nowMs / 1000 / stepSeconds) * stepSeconds;
  return { start: end - seconds, end, stepSeconds };
}
