import type {
  MetricsValue,
  SignalState,
} from '@vastai-incident/backstage-plugin-common';
import type { TriageThresholds } from '../../triage';
import { describeUpstreamError } from '../../upstream';
import { guardProbe, Probe, unknownSignal } from '../signal';
import type { PrometheusClient } from './client';
import { AnyTemplateId, renderQuery, TemplateParams } from './templates';

export interface MetricsProbeOptions {
  client?: PrometheusClient;
  job?: string;
  rateWindow: string;
  thresholds: TriageThresholds;
}

const round = (value: number | null, digits = 4) =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;

/** The probe's own reading of the numbers; the triage function makes the real decision. */
export function metricsState(
  value: MetricsValue,
  t: TriageThresholds,
): SignalState {
  const over = (reading: number | null, limit: number) =>
    reading !== null && reading > limit;
  if (
    over(value.vendor5xxPerMinute, t.vendor5xxPerMinute) ||
    over(value.authErrorsPerMinute, t.authErrorsPerMinute)
  ) {
    return 'failing';
  }
  if (
    over(value.errorRatio, t.errorRatio) ||
    over(value.rateLimitedPerMinute, t.rateLimitedPerMinute) ||
    over(value.p99LatencySeconds, t.p99LatencySeconds) ||
    value.scrapeUp === false
  ) {
    return 'degraded';
  }
  return 'ok';
}

function summarize(value: MetricsValue): string {
  const parts: string[] = [];
  if (value.scrapeUp === false) parts.push('scrape failing (up = 0)');
  if (value.errorRatio !== null)
    parts.push(`errors ${(value.errorRatio * 100).toFixed(1)}% of calls`);
  if (value.authErrorsPerMinute)
    parts.push(`auth errors ${value.authErrorsPerMinute.toFixed(1)}/min`);
  if (value.vendor5xxPerMinute)
    parts.push(`vendor 5xx ${value.vendor5xxPerMinute.toFixed(1)}/min`);
  if (value.rateLimitedPerMinute)
    parts.push(`429s ${value.rateLimitedPerMinute.toFixed(1)}/min`);
  if (value.p99LatencySeconds !== null)
    parts.push(`p99 ${value.p99LatencySeconds.toFixed(2)} s`);
  if (value.recentErrorsButNowQuiet)
    parts.push('errors in the last hour, none now');
  return parts.length ? `metrics: ${parts.join('; ')}` : 'metrics: no errors';
}

/** Prometheus readings of one integration (instant queries in parallel, each bounded). */
export function createMetricsProbe(
  options: MetricsProbeOptions,
): Probe<MetricsValue> {
  return ({ signal } = {}) =>
    guardProbe<MetricsValue>('metrics', async startedAt => {
      const { client, job } = options;
      if (!client || !job) {
        return unknownSignal(
          'metrics',
          'no Prometheus or job is configured for this integration',
          startedAt,
        );
      }
      const params: TemplateParams = { job, rateWindow: options.rateWindow };
      const failures: unknown[] = [];
      const scalar = (id: AnyTemplateId) =>
        client.instant(renderQuery(id, params), { signal }).catch(error => {
          failures.push(error);
          return null;
        });
      const byClassPromise = client
        .instantVector(renderQuery('errors-by-class', params), { signal })
        .catch(error => {
          failures.push(error);
          return null;
        });
      const [
        errorRatio,
        rateLimited,
        vendor5xx,
        auth,
        p99,
        up,
        lastHour,
        now,
        byClass,
      ] = await Promise.all([
        scalar('error-ratio'),
        scalar('rate-limited-rate'),
        scalar('vendor-5xx-rate'),
        scalar('auth-error-rate'),
        scalar('p99-latency'),
        scalar('scrape-up'),
        scalar('errors-last-hour'),
        scalar('errors-now'),
        byClassPromise,
      ]);
      if (failures.length === 9) throw failures[0];

      let errorsPerMinuteByClass: Record<string, number> | null = null;
      if (byClass && byClass.length > 0) {
        errorsPerMinuteByClass = {};
        for (const series of byClass) {
          const reading = series.points[0]?.[1];
          if (reading !== null && reading !== undefined) {
            errorsPerMinuteByClass[series.labels.error_type ?? 'unknown'] =
              round(reading, 3)!;
          }
        }
      }
      const value: MetricsValue = {
        errorRatio: round(errorRatio),
        errorsPerMinuteByClass,
        rateLimitedPerMinute: round(rateLimited, 3),
        vendor5xxPerMinute: round(vendor5xx, 3),
        authErrorsPerMinute: round(auth, 3),
        p99LatencySeconds: round(p99, 3),
        scrapeUp: up === null ? null : up >= 1,
        recentErrorsButNowQuiet:
          lastHour !== null && now !== null
            ? lastHour > 0 && now === 0
            : undefined,
      };
      const observedAt = new Date().toISOString();
      const latencyMs = Date.now() - startedAt;
      const noData =
        value.scrapeUp === null &&
        value.errorRatio === null &&
        value.p99LatencySeconds === null &&
        value.errorsPerMinuteByClass === null;
      if (noData) {
        const reason = failures.length
          ? `Prometheus failed: ${describeUpstreamError(failures[0])}`
          : `Prometheus has no data for job ${JSON.stringify(job)}`;
        return {
          source: 'metrics',
          state: 'unknown',
          summary: `unknown: ${reason}`,
          reason,
          value,
          observedAt,
          latencyMs,
        };
      }
      return {
        source: 'metrics',
        state: metricsState(value, options.thresholds),
        summary: summarize(value),
        value,
        observedAt,
        latencyMs,
        ...(failures.length
          ? {
              reason: `${
                failures.length
              } of 9 queries failed: ${describeUpstreamError(failures[0])}`,
            }
          : {}),
      };
    });
}
