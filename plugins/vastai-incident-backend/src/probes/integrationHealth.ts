import type {
  IntegrationHealthValue,
  Signal,
  SignalState,
} from '@internal/plugin-vastai-incident-common';
import { HttpClient, retryRead, SsrfGuard, UpstreamError } from '../upstream';
import {
  guardProbe,
  InvalidAnswerError,
  isRecord,
  parseJsonBody,
  Probe,
  unknownSignal,
} from './signal';

const HEALTHY = new Set([
  'healthy',
  'ok',
  'up',
  'pass',
  'green',
  'operational',
  'connected',
]);
const DEGRADED = new Set([
  'degraded',
  'warn',
  'warning',
  'partial',
  'yellow',
  'fallback',
]);
const UNHEALTHY = new Set([
  'unhealthy',
  'down',
  'fail',
  'failed',
  'error',
  'red',
  'critical',
  'disconnected',
]);

function statusWord(
  value: unknown,
): IntegrationHealthValue['status'] | undefined {
  if (typeof value === 'boolean') return value ? 'healthy' : 'unhealthy';
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (HEALTHY.has(word)) return 'healthy';
  if (DEGRADED.has(word)) return 'degraded';
  if (UNHEALTHY.has(word)) return 'unhealthy';
  return undefined;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value)
    ? value
    : undefined;
}

/**
 * Normalises the three health shapes seen in the wild:
 *  A `{services: {vastai: {status}}}`
 *  B `{status: "healthy"|"degraded", services: {vastai: true|false}}`
 *  C `{status, vastai: {connected, latencyMs}}`
 * A top-level status wins; otherwise the Vast.ai dependency's state decides.
 */
export function parseHealthBody(body: unknown): IntegrationHealthValue {
  if (!isRecord(body))
    throw new InvalidAnswerError('health answer is not a JSON object');
  const top = statusWord(body.status);
  let vastaiConnected: boolean | undefined;
  let vastaiStatus: IntegrationHealthValue['status'] | undefined;
  let latencyMs: number | undefined;
  let fallback: boolean | undefined;

  const services = isRecord(body.services) ? body.services : undefined;
  const dependency = services?.vastai ?? body.vastai;
  if (typeof dependency === 'boolean') {
    vastaiConnected = dependency;
    vastaiStatus = dependency ? 'healthy' : 'unhealthy';
  } else if (isRecord(dependency)) {
    if (typeof dependency.connected === 'boolean')
      vastaiConnected = dependency.connected;
    vastaiStatus =
      statusWord(dependency.status) ?? statusWord(dependency.connected);
    if (vastaiConnected === undefined && vastaiStatus)
      vastaiConnected = vastaiStatus !== 'unhealthy';
    latencyMs =
      finiteNumber(dependency.latencyMs) ?? finiteNumber(dependency.latency_ms);
    if (typeof dependency.fallback === 'boolean')
      fallback = dependency.fallback;
  }
  if (typeof body.fallback === 'boolean') fallback = body.fallback;

  const status = top ?? vastaiStatus;
  if (!status)
    throw new InvalidAnswerError('health answer has no recognisable status');
  return { status, vastaiConnected, latencyMs, fallback };
}

const STATE_OF: Record<IntegrationHealthValue['status'], SignalState> = {
  healthy: 'ok',
  degraded: 'degraded',
  unhealthy: 'failing',
};

export interface IntegrationHealthProbeOptions {
  url?: string;
  http: HttpClient;
  guard: SsrfGuard;
  timeoutMs: number;
  maxBytes: number;
  retries?: number;
}

export function createIntegrationHealthProbe(
  options: IntegrationHealthProbeOptions,
): Probe<IntegrationHealthValue> {
  return ({ signal } = {}) =>
    guardProbe<IntegrationHealthValue>(
      'integration-health',
      async startedAt => {
        const url = options.url;
        if (!url) {
          return unknownSignal(
            'integration-health',
            'no health URL is configured',
            startedAt,
          );
        }
        options.guard.checkUrl(url);
        let response;
        try {
          response = await retryRead(
            () =>
              options.http({
                url,
                headers: { accept: 'application/json' },
                timeoutMs: options.timeoutMs,
                maxBytes: options.maxBytes,
                lookup: options.guard.lookupFor(url),
                signal,
              }),
            {
              retries: options.retries ?? 1,
              deadlineAt: startedAt + options.timeoutMs * 2,
            },
          );
        } catch (error) {
          // Refused, or reset before any answer (after the retry): the host is there but the
          // service takes no connections, as with a Service without ready endpoints. That is
          // an observation of the service (down), not a failure to observe it.
          if (
            error instanceof UpstreamError &&
            (error.kind === 'refused' || error.kind === 'reset')
          ) {
            return {
              source: 'integration-health',
              state: 'failing',
              summary:
                'health endpoint refuses connections: the service is down',
              reason:
                error.kind === 'refused'
                  ? 'connection refused'
                  : 'connection reset before any answer',
              value: { status: 'unhealthy' },
              observedAt: new Date().toISOString(),
              latencyMs: Date.now() - startedAt,
            } satisfies Signal<IntegrationHealthValue>;
          }
          throw error;
        }
        let value: IntegrationHealthValue;
        try {
          value = parseHealthBody(
            parseJsonBody(response.body, 'health endpoint'),
          );
        } catch (error) {
          if (response.status >= 500) {
            // A 5xx without a readable body still says the service is unwell.
            value = { status: 'unhealthy' };
          } else {
            throw error;
          }
        }
        value.httpStatus = response.status;
        if (response.status >= 500 && value.status === 'healthy')
          value.status = 'degraded';
        let dependency = '';
        if (value.vastaiConnected !== undefined) {
          dependency = value.vastaiConnected
            ? ', Vast.ai connected'
            : ', Vast.ai not connected';
        }
        return {
          source: 'integration-health',
          state: STATE_OF[value.status],
          summary: `health: ${value.status}${dependency}${
            value.fallback ? ', fallback on' : ''
          }`,
          value,
          observedAt: new Date().toISOString(),
          latencyMs: Date.now() - startedAt,
        } satisfies Signal<IntegrationHealthValue>;
      },
    );
}
