import type {
  IntegrationHealthValue,
  Signal,
  SignalState,
} from '@vastai-incident/backstage-plugin-common';
import { HttpClient, SsrfGuard, UpstreamError } from '../upstream';
import { parseHealthBody } from './healthShapes';
import {
  guardProbe,
  parseJsonBody,
  Probe,
  retriedGet,
  unknownSignal,
} from './signal';

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
          response = await retriedGet(
            {
              ...options,
              url,
              lookup: options.guard.lookupFor(url),
              peerAllowed: peer => options.guard.peerAllowed(url, peer),
              signal,
            },
            startedAt,
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
