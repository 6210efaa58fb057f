import type { MetricSeries } from '@vastai-incident/backstage-plugin-common';
import type { HttpClient } from '../../upstream';
import {
  InvalidAnswerError,
  isRecord,
  parseJsonBody,
  retriedGet,
} from '../signal';

/** The two Prometheus reads the plugin needs; small so tests and the end-to-end harness can swap it. */
export interface PrometheusClient {
  /** One number, or null when there is no data (empty result, NaN, Inf). */
  instant(
    query: string,
    options?: { signal?: AbortSignal },
  ): Promise<number | null>;
  /** Every series of an instant vector, by labels (for "by class" readings). */
  instantVector(
    query: string,
    options?: { signal?: AbortSignal },
  ): Promise<MetricSeries[]>;
  range(
    query: string,
    bounds: { start: number; end: number; stepSeconds: number },
    options?: { signal?: AbortSignal },
  ): Promise<MetricSeries[]>;
}

/** Prometheus refused the query or failed (bad_data, execution, timeout): a readable reason. */
export class PrometheusQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

/** A sample value as a number, or null for NaN, ±Inf and anything unparseable. */
export function sampleValue(raw: unknown): number | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

function labelsOf(metric: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!isRecord(metric)) return labels;
  for (const [key, value] of Object.entries(metric)) {
    if (typeof value === 'string') labels[key] = value.slice(0, 200);
  }
  return labels;
}

function readEnvelope(
  body: string,
  expected: 'vector' | 'matrix' | 'scalar-or-vector',
) {
  const parsed = parseJsonBody(body, 'Prometheus');
  if (!isRecord(parsed))
    throw new InvalidAnswerError('Prometheus answer is not an object');
  if (parsed.status !== 'success') {
    const type =
      typeof parsed.errorType === 'string' ? parsed.errorType : 'error';
    const message =
      typeof parsed.error === 'string'
        ? parsed.error.slice(0, 200)
        : 'query failed';
    throw new PrometheusQueryError(`Prometheus ${type}: ${message}`);
  }
  const data = parsed.data;
  if (!isRecord(data) || !Array.isArray(data.result)) {
    throw new InvalidAnswerError('Prometheus answer has no data.result');
  }
  const type = data.resultType;
  const ok =
    expected === 'scalar-or-vector'
      ? type === 'vector' || type === 'scalar'
      : type === expected;
  if (!ok)
    throw new InvalidAnswerError(
      `Prometheus answered a ${String(type)}, not a ${expected}`,
    );
  return { resultType: type as string, result: data.result as unknown[] };
}

export interface HttpPrometheusClientOptions {
  baseUrl: string;
  http: HttpClient;
  timeoutMs: number;
  maxBytes: number;
  retries?: number;
}

export function createHttpPrometheusClient(
  options: HttpPrometheusClientOptions,
): PrometheusClient {
  const base = options.baseUrl.replace(/\/+$/, '');

  const get = async (
    path: string,
    params: Record<string, string>,
    signal?: AbortSignal,
  ) => {
    // Ask Prometheus to give up a little before we do, so its own timeout error wins.
    const query = new URLSearchParams({
      ...params,
      timeout: `${Math.max(1, Math.floor(options.timeoutMs * 0.9))}ms`,
    });
    const response = await retriedGet(
      { ...options, url: `${base}${path}?${query.toString()}`, signal },
      Date.now(),
    );
    // 400/422/503 carry a JSON error envelope; readEnvelope reports it.
    if (response.status >= 500 && !response.body.trimStart().startsWith('{')) {
      throw new PrometheusQueryError(
        `Prometheus answered HTTP ${response.status}`,
      );
    }
    return response.body;
  };

  const instantVector = async (
    query: string,
    { signal }: { signal?: AbortSignal } = {},
  ) => {
    const body = await get('/api/v1/query', { query }, signal);
    const { resultType, result } = readEnvelope(body, 'scalar-or-vector');
    if (resultType === 'scalar') {
      return [
        {
          labels: {},
          points: [
            [
              Number((result as unknown[])[0]),
              sampleValue((result as unknown[])[1]),
            ],
          ],
        },
      ] as MetricSeries[];
    }
    return result.filter(isRecord).map(sample => {
      const pair = Array.isArray(sample.value) ? sample.value : [];
      return {
        labels: labelsOf(sample.metric),
        points: [[Number(pair[0]), sampleValue(pair[1])]],
      } as MetricSeries;
    });
  };

  return {
    instantVector,
    async instant(query, opts) {
      const series = await instantVector(query, opts);
      if (series.length === 0) return null; // no data is not zero
      return series[0].points[0]?.[1] ?? null;
    },
    async range(query, bounds, { signal } = {}) {
      const body = await get(
        '/api/v1/query_range',
        {
          query,
          start: String(bounds.start),
          end: String(bounds.end),
          step: `${bounds.stepSeconds}s`,
        },
        signal,
      );
      const { result } = readEnvelope(body, 'matrix');
      return result
        .filter(isRecord)
        .slice(0, 50)
        .map(series => ({
          labels: labelsOf(series.metric),
          points: (Array.isArray(series.values) ? series.values : [])
            .filter(Array.isArray)
            .slice(0, 5000)
            .map(
              pair =>
                [Number(pair[0]), sampleValue(pair[1])] as [
                  number,
                  number | null,
                ],
            ),
        }));
    },
  };
}
