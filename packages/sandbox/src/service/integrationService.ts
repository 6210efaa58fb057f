import type http from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KubeStore, StartedPod } from '../kube/types';
import {
  pathOf,
  sendJson,
  sendText,
  startHttpServer,
  RunningServer,
} from '../http/server';
import { PodWorker, PodWorkerSettings } from './podWorker';
import { ERROR_TYPES, VastCallResult } from './vastClient';
import { formatLogLine } from './logLines';

export type HealthShape = 1 | 2 | 3;
export type VastaiState = 'healthy' | 'degraded' | 'down';

export interface IntegrationServiceOptions
  extends Omit<PodWorkerSettings, 'vastApiUrl'> {
  name: string;
  namespace: string;
  kube: KubeStore;
  vastApiUrl: string;
}

export interface ServiceHealth {
  status: 'healthy' | 'degraded';
  vastai: VastaiState;
  fallback: boolean;
  latencyMs: number | null;
  errorRatio: number;
  readyPods: number;
}

const RECENT_WINDOW_MS = 10_000;
const MAX_ERROR_LINES_PER_SECOND = 5;
const SUMMARY_EVERY_MS = 10_000;
/** Offer searches normally take milliseconds; a p95 of a second is a degraded vendor. */
const SLOW_P95_SECONDS = 1;

/**
 * One simulated integration service (a Deployment's pods behind a Service): its pods call Vast.ai
 * with the env they started with, and it exposes `/health` and `/metrics` like the company's real one.
 */
export class IntegrationService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'endpoint' | 'status'>;
  private readonly errors: Counter<'error_type'>;
  private readonly duration: Histogram<'endpoint'>;
  private readonly fallbackGauge: Gauge;
  private readonly queueGauge: Gauge;

  private workers = new Map<string, PodWorker>();
  private recent: Array<{ at: number; errorType?: string; seconds: number }> =
    [];
  private logBudget = new Map<
    string,
    { second: number; used: number; suppressed: number }
  >();
  private summaries = new Map<
    string,
    { since: number; ok: number; failed: number }
  >();
  private cachedOffers: { at: string; offers: unknown[] } | undefined;
  private unsubscribe: Array<() => void> = [];
  private reconcileTimer?: NodeJS.Timeout;
  private server?: RunningServer;

  healthShape: HealthShape = 1;
  /** `monitoring-gap`: `/metrics` answers 500 while everything else works. */
  metricsBroken = false;
  /** `egress-blocked`: the pods' calls to Vast.ai are refused on the way out. */
  egressBlocked = false;

  constructor(private readonly options: IntegrationServiceOptions) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'vastai_requests_total',
      help: 'Requests to the Vast.ai API by method, endpoint and HTTP status',
      labelNames: ['method', 'endpoint', 'status'],
      registers,
    });
    this.errors = new Counter({
      name: 'vastai_errors_total',
      help: 'Failed Vast.ai API requests by error class',
      labelNames: ['error_type'],
      registers,
    });
    this.duration = new Histogram({
      name: 'vastai_request_duration_seconds',
      help: 'Duration of Vast.ai API requests (real elapsed time)',
      labelNames: ['endpoint'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15],
      registers,
    });
    this.fallbackGauge = new Gauge({
      name: 'vastai_fallback_active',
      help: '1 while the service serves cached offers instead of calling Vast.ai',
      registers,
      collect: () =>
        this.fallbackGauge.set(this.anyPod(w => w.config.fallback) ? 1 : 0),
    });
    this.queueGauge = new Gauge({
      name: 'vastai_queue_mode',
      help: '1 while calls to Vast.ai are queued and paced (RATE_LIMIT_MODE=queue)',
      registers,
      collect: () =>
        this.queueGauge.set(
          this.anyPod(w => w.config.mode === 'queue') ? 1 : 0,
        ),
    });
    this.initSeries();
  }

  get name() {
    return this.options.name;
  }

  /** Series that exist from the start, so "no errors" reads as 0 rather than as no data. */
  private initSeries() {
    for (const t of ERROR_TYPES) this.errors.inc({ error_type: t }, 0);
    this.requests.inc(
      { method: 'POST', endpoint: '/api/v0/bundles/', status: '200' },
      0,
    );
  }

  /** Fresh process state (a scenario switch replaces every pod, so counters start again). */
  resetState() {
    this.registry.resetMetrics();
    this.initSeries();
    this.recent = [];
    this.metricsBroken = false;
    this.egressBlocked = false;
  }

  async start(port: number): Promise<RunningServer> {
    const { kube, namespace, name } = this.options;
    this.unsubscribe.push(
      kube.onPodStarted(pod => {
        if (pod.namespace === namespace && pod.deployment === name)
          this.addPod(pod);
      }),
      kube.onPodStopped(pod => {
        if (pod.namespace === namespace && pod.deployment === name)
          void this.removePod(pod.name);
      }),
    );
    // Events are the fast path; a periodic reconcile keeps us right whatever the store missed.
    this.reconcileTimer = setInterval(() => this.reconcile(), 1000);
    this.reconcile();
    this.server = await startHttpServer(
      (req, res) => this.handle(req, res),
      port,
      {
        // No Ready pod behind the Service: connections are refused (reset) like an empty endpoint list.
        onConnection: socket => {
          if (this.workers.size === 0) socket.destroy();
        },
      },
    );
    return this.server;
  }

  async stop() {
    clearInterval(this.reconcileTimer);
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await Promise.all([...this.workers.keys()].map(p => this.removePod(p)));
    await this.server?.close();
  }

  /** Forget every pod (their in-flight calls are cancelled, not counted). */
  async dropAllPods() {
    await Promise.all([...this.workers.keys()].map(p => this.removePod(p)));
  }

  readyPods(): string[] {
    return [...this.workers.keys()];
  }

  podConfigs() {
    return [...this.workers.values()].map(w => ({
      pod: w.pod.name,
      mode: w.config.mode,
      fallback: w.config.fallback,
      keyConfigured: !!w.config.apiKey,
    }));
  }

  reconcile() {
    const { kube, namespace, name } = this.options;
    let running: StartedPod[];
    try {
      running = kube.runningPods(namespace, name);
    } catch {
      return;
    }
    const names = new Set(running.map(p => p.name));
    for (const pod of running)
      if (!this.workers.has(pod.name)) this.addPod(pod);
    for (const podName of this.workers.keys())
      if (!names.has(podName)) void this.removePod(podName);
  }

  private addPod(pod: StartedPod) {
    if (this.workers.has(pod.name)) return;
    const worker = new PodWorker(
      pod,
      { ...this.options, egressBlocked: () => this.egressBlocked },
      (p, r) => this.record(p, r),
    );
    this.workers.set(pod.name, worker);
    this.summaries.set(pod.name, { since: Date.now(), ok: 0, failed: 0 });
    this.log(pod.name, 'info', 'vastai client started', {
      rate_limit_mode: worker.config.mode,
      fallback: worker.config.fallback,
      api_key_configured: !!worker.config.apiKey,
    });
    if (worker.config.fallback) {
      this.log(
        pod.name,
        'warn',
        'VASTAI_FALLBACK enabled: serving cached offers, not calling Vast.ai',
        { fallback: true },
      );
    }
    worker.start();
  }

  private async removePod(podName: string) {
    const worker = this.workers.get(podName);
    if (!worker) return;
    this.workers.delete(podName);
    this.summaries.delete(podName);
    this.logBudget.delete(podName);
    await worker.stop();
  }

  private anyPod(predicate: (w: PodWorker) => boolean): boolean {
    return [...this.workers.values()].some(predicate);
  }

  private record(pod: StartedPod, r: VastCallResult) {
    this.requests.inc({
      method: r.method,
      endpoint: r.endpoint,
      status: r.status,
    });
    this.duration.observe({ endpoint: r.endpoint }, r.durationSeconds);
    if (r.errorType) this.errors.inc({ error_type: r.errorType });
    if (r.offers)
      this.cachedOffers = { at: new Date().toISOString(), offers: r.offers };
    const now = Date.now();
    this.recent.push({
      at: now,
      errorType: r.errorType,
      seconds: r.durationSeconds,
    });
    while (this.recent.length && this.recent[0].at < now - RECENT_WINDOW_MS)
      this.recent.shift();

    const summary = this.summaries.get(pod.name);
    if (summary) {
      if (r.errorType) summary.failed++;
      else summary.ok++;
      if (now - summary.since >= SUMMARY_EVERY_MS) {
        this.log(pod.name, 'info', 'vastai requests summary', {
          ok: summary.ok,
          failed: summary.failed,
          window_s: Math.round((now - summary.since) / 1000),
        });
        this.summaries.set(pod.name, { since: now, ok: 0, failed: 0 });
      }
    }
    if (r.errorType) {
      this.logError(pod.name, r);
    } else if (r.durationSeconds > 5) {
      this.log(pod.name, 'warn', 'slow vastai response', {
        endpoint: r.endpoint,
        status: r.status,
        duration_ms: Math.round(r.durationSeconds * 1000),
      });
    }
  }

  /** Error lines, at most a few per second per pod (a real service would flood; the store is memory). */
  private logError(podName: string, r: VastCallResult) {
    const second = Math.floor(Date.now() / 1000);
    const budget = this.logBudget.get(podName) ?? {
      second,
      used: 0,
      suppressed: 0,
    };
    if (budget.second !== second) {
      if (budget.suppressed > 0) {
        this.log(podName, 'error', 'vastai request errors suppressed', {
          suppressed: budget.suppressed,
          error_type: r.errorType,
        });
      }
      budget.second = second;
      budget.used = 0;
      budget.suppressed = 0;
    }
    if (budget.used >= MAX_ERROR_LINES_PER_SECOND) {
      budget.suppressed++;
    } else {
      budget.used++;
      this.log(podName, 'error', 'vastai request failed', {
        error_type: r.errorType,
        status: r.status,
        method: r.method,
        endpoint: r.endpoint,
        duration_ms: Math.round(r.durationSeconds * 1000),
        error: r.message,
      });
    }
    this.logBudget.set(podName, budget);
  }

  private log(
    podName: string,
    level: 'info' | 'warn' | 'error',
    msg: string,
    fields: Record<string, unknown>,
  ) {
    const now = new Date();
    try {
      this.options.kube.appendPodLog(
        this.options.namespace,
        podName,
        formatLogLine(now, level, msg, fields),
        now,
      );
    } catch {
      // the pod may be gone already
    }
  }

  health(): ServiceHealth {
    const now = Date.now();
    const recent = this.recent.filter(r => r.at >= now - RECENT_WINDOW_MS);
    const total = recent.length;
    const hardErrors = recent.filter(
      r => r.errorType && r.errorType !== 'rate_limited',
    ).length;
    const allErrors = recent.filter(r => r.errorType).length;
    const latencies = recent
      .filter(r => !r.errorType)
      .map(r => r.seconds)
      .sort((a, b) => a - b);
    const p95 = latencies.length
      ? latencies[
          Math.min(latencies.length - 1, Math.floor(latencies.length * 0.95))
        ]
      : null;
    const fallback = this.anyPod(w => w.config.fallback);
    let vastai: VastaiState = 'healthy';
    if (fallback) vastai = 'down';
    else if (total > 0 && hardErrors / total >= 0.5) vastai = 'down';
    else if (
      (total > 0 && allErrors / total >= 0.1) ||
      (p95 !== null && p95 >= SLOW_P95_SECONDS)
    )
      vastai = 'degraded';
    return {
      status: vastai === 'healthy' && !fallback ? 'healthy' : 'degraded',
      vastai,
      fallback,
      latencyMs: p95 === null ? null : Math.round(p95 * 1000),
      errorRatio: total ? allErrors / total : 0,
      readyPods: this.workers.size,
    };
  }

  /** The health document in one of the three shapes seen in the wild. */
  healthDocument(
    shape: HealthShape = this.healthShape,
  ): Record<string, unknown> {
    const h = this.health();
    const extra = h.fallback ? { fallback: true } : {};
    if (shape === 2)
      return {
        status: h.status,
        services: { vastai: h.vastai !== 'down' },
        ...extra,
      };
    if (shape === 3)
      return {
        status: h.status,
        vastai: { connected: h.vastai !== 'down', latencyMs: h.latencyMs },
        ...extra,
      };
    // In fallback the service itself is up and answering from cache: degraded, not down.
    return {
      services: { vastai: { status: h.fallback ? 'degraded' : h.vastai } },
      ...extra,
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const { path } = pathOf(req);
    // Also on kept-alive connections opened while pods were still Ready.
    if (this.workers.size === 0) return void req.socket.destroy();
    if (path === '/health' || path === '/healthz')
      return sendJson(res, 200, this.healthDocument());
    if (path === '/metrics') {
      if (this.metricsBroken)
        return sendText(
          res,
          500,
          'An error has occurred while serving metrics:\n\ncollector "vastai" failed: internal error\n',
        );
      return sendText(
        res,
        200,
        await this.registry.metrics(),
        this.registry.contentType,
      );
    }
    if (path === '/offers') {
      return sendJson(res, 200, {
        fallback: this.health().fallback,
        cachedAt: this.cachedOffers?.at ?? null,
        offers: this.cachedOffers?.offers ?? [],
      });
    }
    return sendJson(res, 404, { error: 'not found' });
  }
}
