import type {
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type {
  KubernetesValue,
  LogsResponse,
  MetricQueryId,
  MetricRange,
  MetricRangeResponse,
  Signal,
  SignalSource,
} from '@vastai-incident/backstage-plugin-common';
import { SharedReads, staleMarks } from '../cache';
import type {
  ClusterConfig,
  IntegrationConfig,
  VastaiIncidentConfig,
} from '../config';
import {
  createHttpPrometheusClient,
  createIntegrationHealthProbe,
  createKubernetesProbe,
  createKubernetesReader,
  createMetricsProbe,
  createVendorApiProbe,
  createVendorStatusProbe,
  KubernetesReader,
  Probe,
  PrometheusClient,
  QUERY_TEMPLATES,
  rangeBounds,
  readErrorLogs,
  renderQuery,
  StatusPageParser,
  unknownSignal,
} from '../probes';
import { createRedactor } from '../redact';
import type {
  FreshnessBudgets,
  TriageInput,
  TriageThresholds,
} from '../triage';
import {
  describeUpstreamError,
  HttpClient,
  nodeHttpClient,
  SsrfGuard,
} from '../upstream';

/**
 * The upstream clients, each replaceable (tests, the end-to-end harness). Anything not given is
 * built from config.
 */
export interface UpstreamClients {
  http?: HttpClient;
  prometheus?: PrometheusClient;
  kubernetes?: (cluster: ClusterConfig) => KubernetesReader;
  statusParsers?: Record<string, StatusPageParser>;
}

export interface SignalServiceOptions {
  config: VastaiIncidentConfig;
  cache: CacheService;
  logger: LoggerService;
  clients?: UpstreamClients;
}

const THRESHOLD_OF: Partial<Record<MetricQueryId, keyof TriageThresholds>> = {
  'error-ratio': 'errorRatio',
  'rate-limited-rate': 'rateLimitedPerMinute',
  'vendor-5xx-rate': 'vendor5xxPerMinute',
  'auth-error-rate': 'authErrorsPerMinute',
  'p99-latency': 'p99LatencySeconds',
};

/** Reads every signal of an integration through the shared, cached, coalesced probes. */
export class SignalService {
  private readonly config: VastaiIncidentConfig;
  private readonly logger: LoggerService;
  private readonly reads: SharedReads;
  private readonly http: HttpClient;
  private readonly prometheus?: PrometheusClient;
  private readonly readers = new Map<string, KubernetesReader>();
  private readonly podSelectors = new Map<string, string>();
  private readonly kubernetesFactory: (
    cluster: ClusterConfig,
  ) => KubernetesReader;
  private readonly vendorStatusProbe: Probe<any>;
  private readonly vendorApiProbe: Probe<any>;
  private readonly guard: SsrfGuard;
  readonly redact: (text: string) => string;

  constructor(options: SignalServiceOptions) {
    const { config } = options;
    this.config = config;
    this.logger = options.logger;
    this.reads = new SharedReads({
      cache: options.cache,
      staleMaxAgeMs: config.staleMaxAgeMs,
      logger: options.logger,
    });
    this.http = options.clients?.http ?? nodeHttpClient;
    this.guard = new SsrfGuard(config.ssrfAllowedHosts);
    this.redact = createRedactor([config.vendor.operatorApiKey]);
    const common = {
      http: this.http,
      timeoutMs: config.upstreamTimeoutMs,
      maxBytes: config.maxResponseBytes,
    };
    this.prometheus =
      options.clients?.prometheus ??
      (config.prometheus
        ? createHttpPrometheusClient({
            ...common,
            baseUrl: config.prometheus.baseUrl,
          })
        : undefined);
    this.kubernetesFactory =
      options.clients?.kubernetes ??
      (cluster => createKubernetesReader(cluster, common));
    this.vendorStatusProbe = createVendorStatusProbe({
      ...common,
      type: config.vendor.status.type,
      url: config.vendor.status.url,
      parsers: options.clients?.statusParsers,
    });
    this.vendorApiProbe = createVendorApiProbe({
      ...common,
      baseUrl: config.vendor.apiBaseUrl,
      operatorApiKey: config.vendor.operatorApiKey,
      minIntervalMs: config.vendor.probeMinIntervalMs,
    });
  }

  /**
   * How old each source's reading may be and still count as current evidence: three of its
   * probe intervals unless configured (a cached read is up to one interval old by design).
   */
  freshnessBudgets(): FreshnessBudgets {
    const ttlSeconds = this.config.cacheTtlMs / 1000;
    const probeSeconds =
      Math.max(this.config.cacheTtlMs, this.config.vendor.probeMinIntervalMs) /
      1000;
    return {
      vendorStatus: 3 * ttlSeconds,
      vendorApi: 3 * probeSeconds,
      health: 3 * ttlSeconds,
      metrics: 3 * ttlSeconds,
      kubernetes: 3 * ttlSeconds,
      ...this.config.freshnessSeconds,
    };
  }

  integration(name: string): IntegrationConfig | undefined {
    return this.config.integrations.get(name);
  }

  private reader(integration: IntegrationConfig): KubernetesReader | undefined {
    const target = integration.kubernetes;
    if (!target) return undefined;
    let reader = this.readers.get(target.cluster);
    if (!reader) {
      const cluster = this.config.clusters.get(target.cluster);
      if (!cluster) return undefined;
      reader = this.kubernetesFactory(cluster);
      this.readers.set(target.cluster, reader);
    }
    return reader;
  }

  /**
   * A probe through the shared cache, bounded by `deadlineMs`: a probe that hangs yields an
   * unknown signal (or the last known good one, stale) and keeps running to fill the cache.
   */
  private async bounded<T>(
    source: SignalSource,
    key: string,
    ttlMs: number,
    probe: Probe<T>,
    deadlineMs: number,
  ): Promise<Signal<T>> {
    const startedAt = Date.now();
    const read = this.reads.signal(key, ttlMs, () => probe());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(resolve => {
      timer = setTimeout(() => resolve('timeout'), deadlineMs);
    });
    try {
      const winner = await Promise.race([read, timeout]);
      if (winner !== 'timeout') return winner;
      read.catch(() => undefined);
      return await this.reads.staleFallback(
        key,
        unknownSignal<T>(
          source,
          `no answer within the ${deadlineMs} ms deadline`,
          startedAt,
        ),
      );
    } catch (error) {
      return unknownSignal<T>(source, describeUpstreamError(error), startedAt);
    } finally {
      clearTimeout(timer);
    }
  }

  /** All five signals of an integration, in parallel, each within the triage deadline. */
  async collect(integration: IntegrationConfig): Promise<TriageInput> {
    const deadline = this.config.triageTimeoutMs;
    const ttl = this.config.cacheTtlMs;
    const name = integration.name;
    const [vendorStatus, vendorApi, health, metrics, kubernetes] =
      await Promise.all([
        this.bounded(
          'vendor-status',
          'vendor-status',
          ttl,
          this.vendorStatusProbe,
          deadline,
        ),
        this.bounded(
          'vendor-api',
          'vendor-api',
          Math.max(ttl, this.config.vendor.probeMinIntervalMs),
          this.vendorApiProbe,
          deadline,
        ),
        this.bounded(
          'integration-health',
          `health:${name}`,
          ttl,
          createIntegrationHealthProbe({
            url: integration.healthUrl,
            http: this.http,
            guard: this.guard,
            timeoutMs: this.config.upstreamTimeoutMs,
            maxBytes: this.config.maxResponseBytes,
          }),
          deadline,
        ),
        this.bounded(
          'metrics',
          `metrics:${name}`,
          ttl,
          createMetricsProbe({
            client: this.prometheus,
            job: integration.prometheusJob,
            rateWindow: this.config.prometheus?.rateWindow ?? '5m',
            thresholds: integration.thresholds,
          }),
          deadline,
        ),
        this.pods(integration, deadline),
      ]);
    return { vendorStatus, vendorApi, health, metrics, kubernetes };
  }

  /** The integration's deployment and pods. */
  pods(
    integration: IntegrationConfig,
    deadlineMs = this.config.triageTimeoutMs,
  ): Promise<Signal<KubernetesValue>> {
    return this.bounded(
      'kubernetes',
      `kubernetes:${integration.name}`,
      this.config.cacheTtlMs,
      createKubernetesProbe({
        reader: this.reader(integration),
        target: integration.kubernetes,
        selectors: this.podSelectors,
      }),
      deadlineMs,
    );
  }

  /**
   * A chart of one named query over a range (the last hour, 6 h, 24 h), or over a fixed window
   * in unix seconds (an incident's evidence); no data or a failed Prometheus is not an error.
   */
  async metricRange(
    integration: IntegrationConfig,
    queryId: MetricQueryId,
    range: MetricRange | { start: number; end: number; stepSeconds: number },
  ): Promise<MetricRangeResponse> {
    const bounds =
      typeof range === 'string' ? rangeBounds(range, Date.now()) : range;
    const template = QUERY_TEMPLATES[queryId];
    const thresholdKey = THRESHOLD_OF[queryId];
    const base: MetricRangeResponse = {
      queryId,
      ...bounds,
      series: [],
      unit: template.unit as MetricRangeResponse['unit'],
      ...(thresholdKey
        ? { threshold: integration.thresholds[thresholdKey] }
        : {}),
    };
    const job = integration.prometheusJob;
    if (!this.prometheus || !job) {
      return {
        ...base,
        reason: 'no Prometheus or job is configured for this integration',
      };
    }
    const query = renderQuery(queryId, {
      job,
      rateWindow: this.config.prometheus?.rateWindow ?? '5m',
    });
    try {
      const shared = await this.reads.read(
        `range:${integration.name}:${queryId}:${
          typeof range === 'string'
            ? range
            : `${range.start}-${range.end}-${range.stepSeconds}`
        }`,
        Math.min(this.config.cacheTtlMs, bounds.stepSeconds * 1000),
        async () => ({
          ...bounds,
          series: await this.prometheus!.range(query, bounds),
        }),
      );
      return {
        ...base,
        ...shared.value,
        ...staleMarks(shared),
      };
    } catch (error) {
      return {
        ...base,
        reason: `Prometheus failed: ${describeUpstreamError(error)}`,
      };
    }
  }

  /** Recent error lines of the integration's pods, bounded and redacted. */
  async logs(
    integration: IntegrationConfig,
    sinceMinutes: number,
  ): Promise<LogsResponse> {
    const reader = this.reader(integration);
    const target = integration.kubernetes;
    if (!reader || !target) {
      return {
        lines: [],
        truncated: false,
        sinceMinutes,
        reason: 'no Kubernetes deployment is configured',
      };
    }
    try {
      const shared = await this.reads.read(
        `logs:${integration.name}:${sinceMinutes}`,
        this.config.cacheTtlMs,
        () =>
          readErrorLogs({ reader, target, sinceMinutes, redact: this.redact }),
      );
      return {
        ...shared.value,
        ...staleMarks(shared),
      };
    } catch (error) {
      this.logger.debug(
        `logs of ${integration.name} unavailable: ${describeUpstreamError(
          error,
        )}`,
      );
      return {
        lines: [],
        truncated: false,
        sinceMinutes,
        reason: describeUpstreamError(error),
      };
    }
  }
}
