import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  ActionRun,
  Signal,
  TriageReport,
  VASTAI_INTEGRATION_ANNOTATION,
} from '@vastai-incident/backstage-plugin-common';
import { VastaiIncidentApi } from '../api/VastaiIncidentApi';
import { errorResponse } from './responses';

export const annotatedEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'vastai-integration',
    namespace: 'default',
    annotations: { [VASTAI_INTEGRATION_ANNOTATION]: 'vastai-integration' },
  },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/gpu-platform',
  },
};

export const plainEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'billing-api', namespace: 'default' },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/billing',
  },
};

/** An ISO time `seconds` before now. */
export function secondsAgo(seconds: number): string {
  return new Date(Date.now() - seconds * 1000).toISOString();
}

function signal(
  partial: Partial<Signal> & Pick<Signal, 'source' | 'state' | 'summary'>,
): Signal {
  return { observedAt: secondsAgo(12), latencyMs: 42, ...partial };
}

/** One report per branch of the runbook's tree, shaped like the sandbox scenarios. */
function buildReports(): Record<string, TriageReport> {
  return {
    'vendor-incident': {
      entityRef: 'component:default/vastai-integration',
      integration: 'vastai-integration',
      severity: 'P1',
      branch: 'vendor-incident',
      verdict:
        'Vast.ai is having an outage; our integration is failing with it.',
      reasons: [
        'Status page reports a major outage',
        '503 on 100% of probe calls',
      ],
      path: [
        {
          question: 'vendor-api-errors',
          answer: 'yes',
          evidence: '503 on 100% of calls',
        },
        {
          question: 'vendor-status-incident',
          answer: 'yes',
          evidence: 'Major outage on API',
        },
      ],
      actions: [
        {
          id: 'enable-fallback',
          reason: 'Serve cached offers while Vast.ai is down',
        },
      ],
      signals: [
        signal({
          source: 'vendor-status',
          state: 'failing',
          summary: 'status page: major outage',
        }),
        signal({
          source: 'vendor-api',
          state: 'failing',
          summary: '503 from the Vast.ai API',
        }),
      ],
      generatedAt: secondsAgo(3),
    },
    'our-integration': {
      entityRef: 'component:default/vastai-integration',
      integration: 'vastai-integration',
      severity: 'P2',
      branch: 'our-integration',
      verdict:
        'Vast.ai is up; our service is rejected with 401: its API key is bad.',
      reasons: ['401 on 93% of calls'],
      path: [
        {
          question: 'vendor-api-errors',
          answer: 'yes',
          evidence: '401 on 93% of calls',
        },
        {
          question: 'vendor-status-incident',
          answer: 'no',
          evidence: 'All systems operational',
        },
      ],
      actions: [
        { id: 'rotate-api-key', reason: 'The service key is rejected (401)' },
        { id: 'rollout-restart', reason: 'Pods read the key at start' },
      ],
      signals: [
        signal({
          source: 'vendor-status',
          state: 'ok',
          summary: 'status page: all systems operational',
        }),
        signal({
          source: 'metrics',
          state: 'failing',
          summary: '401 on 93% of calls',
        }),
      ],
      generatedAt: secondsAgo(3),
    },
    'resolved-or-intermittent': {
      entityRef: 'component:default/vastai-integration',
      integration: 'vastai-integration',
      severity: 'P4',
      branch: 'resolved-or-intermittent',
      verdict: 'Errors in the last hour, none now: the trouble has passed.',
      reasons: ['No errors in the last 5 minutes'],
      path: [
        {
          question: 'vendor-api-errors',
          answer: 'no',
          evidence: 'No errors in 5 min',
        },
      ],
      actions: [],
      signals: [
        signal({
          source: 'metrics',
          state: 'ok',
          summary: 'no errors in 5 min',
        }),
      ],
      generatedAt: secondsAgo(3),
    },
    'our-infrastructure': {
      entityRef: 'component:default/vastai-integration',
      integration: 'vastai-integration',
      severity: 'P1',
      branch: 'our-infrastructure',
      verdict: 'Our pods are crash-looping; Vast.ai is fine.',
      reasons: ['0 of 2 pods ready'],
      path: [
        {
          question: 'vendor-api-errors',
          answer: 'unknown',
          evidence: 'no metrics (scrape down)',
        },
        {
          question: 'service-healthy',
          answer: 'no',
          evidence: 'connection refused',
        },
      ],
      actions: [{ id: 'rollout-restart', reason: 'Pods in CrashLoopBackOff' }],
      signals: [
        signal({
          source: 'kubernetes',
          state: 'failing',
          summary: '0 of 2 pods ready (CrashLoopBackOff)',
        }),
        signal({
          source: 'metrics',
          state: 'unknown',
          summary: 'no data',
          reason: 'scrape target down',
        }),
      ],
      generatedAt: secondsAgo(3),
    },
    healthy: {
      entityRef: 'component:default/vastai-integration',
      integration: 'vastai-integration',
      severity: null,
      branch: 'healthy',
      verdict: 'All is well.',
      reasons: [],
      path: [
        { question: 'vendor-api-errors', answer: 'no', evidence: '0 errors' },
        {
          question: 'service-healthy',
          answer: 'yes',
          evidence: 'health: healthy',
        },
      ],
      actions: [],
      signals: [
        signal({
          source: 'vendor-status',
          state: 'ok',
          summary: 'status page: all systems operational',
        }),
        signal({
          source: 'integration-health',
          state: 'ok',
          summary: 'healthy (served from cache)',
          stale: true,
          reason: 'health endpoint timed out',
        }),
      ],
      generatedAt: secondsAgo(3),
    },
  };
}

/**
 * The report of one branch, built at the call so that ages ("12 s ago") are
 * relative to the moment a test renders.
 */
export function triageReport(branch: string): TriageReport {
  return buildReports()[branch];
}

/** A ResponseError like the client throws, without a network. */
export function responseError(
  status: number,
  message: string,
): Promise<ResponseError> {
  return ResponseError.fromResponse(errorResponse(status, message));
}

/** A mocked client: every method a jest.fn, overridable per test. */
export function mockVastaiApi(
  overrides: { [K in keyof VastaiIncidentApi]?: jest.Mock } = {},
): jest.Mocked<VastaiIncidentApi> {
  const defaults = {
    getTriage: jest.fn(async () => triageReport('healthy')),
    getMetricRange: jest.fn(async () => ({
      queryId: 'error-ratio' as const,
      start: 0,
      end: 3600,
      stepSeconds: 60,
      unit: 'ratio' as const,
      threshold: 0.05,
      series: [
        {
          labels: {},
          points: [
            [0, 0.01],
            [1800, null],
            [3600, 0.02],
          ] as Array<[number, number | null]>,
        },
      ],
    })),
    getPods: jest.fn(async () => ({
      source: 'kubernetes',
      state: 'degraded',
      summary: '1 of 2 pods ready',
      observedAt: secondsAgo(4),
      latencyMs: 8,
      value: {
        cluster: 'sandbox',
        namespace: 'vastai',
        deployment: 'vastai-integration',
        desiredReplicas: 2,
        readyReplicas: 1,
        pods: [
          {
            name: 'vastai-integration-abc',
            phase: 'Running',
            ready: true,
            restarts: 0,
          },
          {
            name: 'vastai-integration-def',
            phase: 'Running',
            ready: false,
            restarts: 7,
            waitingReason: 'CrashLoopBackOff',
            lastTerminationReason: 'OOMKilled',
          },
        ],
        warningEvents: [],
      },
    })),
    getLogs: jest.fn(async () => ({
      lines: [],
      truncated: false,
      sinceMinutes: 15,
    })),
  };
  return {
    ...defaults,
    ...overrides,
  } as unknown as jest.Mocked<VastaiIncidentApi>;
}

/** A run of an action as the remediation routes answer it; `partial` sets what a test is about. */
export function actionRun(partial: Partial<ActionRun>): ActionRun {
  return {
    runId: '11111111-2222-4333-8444-555555555555',
    entityRef: 'component:default/vastai-integration',
    integration: 'vastai-integration',
    actionId: 'queue-mode',
    dryRun: false,
    actor: 'user:development/guest',
    status: 'running',
    phase: 'rolling-out',
    diff: [],
    startedAt: new Date().toISOString(),
    ...partial,
  };
}
