import { specFor, StatusPageSpec } from '../statuspage/statusPageData';
import {
  NORMAL_LIMITS,
  normalBehaviour,
  SLOW_LATENCY,
  VendorBehaviour,
} from '../vast/vendorBehaviour';
import { INTEGRATION, ServiceName } from '../world/seed';

export const SCENARIO_NAMES = [
  'healthy',
  'vendor-outage',
  'auth-failure',
  'rate-limited',
  'degraded-latency',
  'pods-crashing',
  'minor-errors',
  'monitoring-gap',
  'recovered',
  'vendor-unreachable',
  'egress-blocked',
  'vendor-slow-silent',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(name: unknown): name is ScenarioName {
  return (
    typeof name === 'string' &&
    (SCENARIO_NAMES as readonly string[]).includes(name)
  );
}

/** What a scenario changes relative to the base world. Everything not named stays at its default. */
export interface ScenarioDefinition {
  name: ScenarioName;
  description: string;
  /** Vendor behaviour, built when the scenario is entered (some scenarios are time-relative). */
  vendor(enteredAt: number): VendorBehaviour;
  statusPage: StatusPageSpec;
  /** Services whose original key is revoked at the vendor. */
  revokeKeys?: ServiceName[];
  /** Services whose pods crash-loop. */
  crashing?: ServiceName[];
  /** Services whose `/metrics` answers 500. */
  brokenMetrics?: ServiceName[];
  /** Services whose calls to Vast.ai are refused on the way out (the portal's probe is not). */
  egressBlocked?: ServiceName[];
}

const minutes = (m: number) => m * 60;

export const SCENARIOS: Record<ScenarioName, ScenarioDefinition> = {
  healthy: {
    name: 'healthy',
    description:
      'status page operational; Vast.ai answers 200; service healthy; pods ready',
    vendor: normalBehaviour,
    statusPage: specFor(),
  },
  'vendor-outage': {
    name: 'vendor-outage',
    description:
      'Vast.ai answers 503 to everyone and its status page shows a major incident',
    vendor: () => ({ ...normalBehaviour(), outage: true }),
    statusPage: specFor({
      indicator: 'major',
      description: 'Partial System Outage',
      components: {
        API: 'major_outage',
        'Instance provisioning': 'partial_outage',
      },
      incidents: [
        {
          name: 'Vast.ai API unavailable',
          status: 'identified',
          impact: 'major',
          components: {
            API: 'major_outage',
            'Instance provisioning': 'partial_outage',
          },
          startedSecondsAgo: minutes(12),
          updates: [
            {
              status: 'investigating',
              body: 'We are investigating errors on the Vast.ai API.',
              secondsAgo: minutes(12),
            },
            {
              status: 'identified',
              body: 'The issue has been identified and a fix is being implemented.',
              secondsAgo: minutes(4),
            },
          ],
        },
      ],
    }),
  },
  'auth-failure': {
    name: 'auth-failure',
    description:
      "the service's key is revoked at Vast.ai: every call of the service gets 401",
    vendor: normalBehaviour,
    statusPage: specFor(),
    revokeKeys: [INTEGRATION],
  },
  'rate-limited': {
    name: 'rate-limited',
    description:
      "Vast.ai's per-identity interval is tightened: direct mode (~10 calls/s) gets 429 on most calls",
    vendor: () => ({
      ...normalBehaviour(),
      limits: { ...NORMAL_LIMITS, bundles: { minIntervalMs: 500, burst: 2 } },
    }),
    statusPage: specFor(),
  },
  'degraded-latency': {
    name: 'degraded-latency',
    description:
      'Vast.ai answers slowly (p99 above 5 s) and its status page shows a minor incident',
    vendor: () => ({ ...normalBehaviour(), latency: SLOW_LATENCY }),
    statusPage: specFor({
      indicator: 'minor',
      description: 'Minor Service Outage',
      components: { API: 'degraded_performance' },
      incidents: [
        {
          name: 'Elevated API latency',
          status: 'investigating',
          impact: 'minor',
          components: { API: 'degraded_performance' },
          startedSecondsAgo: minutes(7),
          updates: [
            {
              status: 'investigating',
              body: 'We are seeing elevated latency on API requests.',
              secondsAgo: minutes(7),
            },
          ],
        },
      ],
    }),
  },
  'pods-crashing': {
    name: 'pods-crashing',
    description:
      "the service's pods crash-loop (OOMKilled); its health endpoint refuses connections",
    vendor: normalBehaviour,
    statusPage: specFor(),
    crashing: [INTEGRATION],
  },
  'minor-errors': {
    name: 'minor-errors',
    // Half a percent: a trickle that stays under the error-ratio alert, and below 1% so the
    // timed-out calls (recorded with their real 8 s) do not become the p99 latency.
    description: 'about 0.5% of calls time out; everything else is fine',
    vendor: () => ({ ...normalBehaviour(), hangFraction: 0.005 }),
    statusPage: specFor(),
  },
  'monitoring-gap': {
    name: 'monitoring-gap',
    description:
      "the service's /metrics answers 500 (scrape up = 0) while service and vendor are fine",
    vendor: normalBehaviour,
    statusPage: specFor(),
    brokenMetrics: [INTEGRATION],
  },
  recovered: {
    name: 'recovered',
    description:
      'a short burst of 5xx on entering, then fine; the status page shows the incident resolved',
    vendor: enteredAt => ({
      ...normalBehaviour(),
      serverErrorsUntil: enteredAt + 5000,
    }),
    statusPage: specFor({
      incidents: [
        {
          name: 'Vast.ai API errors',
          status: 'resolved',
          impact: 'major',
          components: { API: 'major_outage' },
          startedSecondsAgo: minutes(50),
          resolvedSecondsAgo: minutes(8),
          updates: [
            {
              status: 'investigating',
              body: 'We are investigating elevated error rates on the API.',
              secondsAgo: minutes(50),
            },
            {
              status: 'identified',
              body: 'A faulty load balancer has been identified.',
              secondsAgo: minutes(35),
            },
            {
              status: 'monitoring',
              body: 'A fix has been deployed; we are monitoring.',
              secondsAgo: minutes(20),
            },
            {
              status: 'resolved',
              body: 'This incident has been resolved.',
              secondsAgo: minutes(8),
            },
          ],
        },
      ],
    }),
  },
  'vendor-unreachable': {
    name: 'vendor-unreachable',
    description:
      "Vast.ai's API resets every connection, the product's probe and the service alike; its status page still says operational",
    vendor: () => ({ ...normalBehaviour(), unreachable: true }),
    statusPage: specFor(),
  },
  'egress-blocked': {
    name: 'egress-blocked',
    description:
      "only the service's calls to Vast.ai are refused on the way out (its egress); Vast.ai and the product's probe are fine",
    vendor: normalBehaviour,
    statusPage: specFor(),
    egressBlocked: [INTEGRATION],
  },
  'vendor-slow-silent': {
    name: 'vendor-slow-silent',
    description:
      'Vast.ai answers slowly (p99 above 5 s, the probe slow too) while its status page says operational, with no incident',
    vendor: () => ({ ...normalBehaviour(), latency: SLOW_LATENCY }),
    statusPage: specFor(),
  },
};
