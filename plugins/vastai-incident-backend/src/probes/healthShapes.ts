import type { IntegrationHealthValue } from '@vastai-incident/backstage-plugin-common';
import { InvalidAnswerError, isRecord } from './signal';

/* The integration health endpoint's answer, from any of the three shapes seen in the wild. */

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
