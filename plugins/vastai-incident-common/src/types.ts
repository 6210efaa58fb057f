/** The annotation that links a catalog entity to an integration in `vastaiIncident.integrations`. */
export const VASTAI_INTEGRATION_ANNOTATION = 'vast.ai/integration';

/** The backend plugin's id, also the path segment under /api. */
export const VASTAI_INCIDENT_PLUGIN_ID = 'vastai-incident';

export type Severity = 'P1' | 'P2' | 'P3' | 'P4';

/**
 * The runbook's response-time targets, in minutes. P4's is "next business day": the backend
 * computes its due time from the configured business hours: 1440 here is a nominal figure
 * (ordering severities), never the due time.
 */
export const SEVERITY_RESPONSE_MINUTES: Record<Severity, number> = {
  P1: 15,
  P2: 60,
  P3: 240,
  P4: 1440,
};

export const SEVERITY_MEANING: Record<Severity, string> = {
  P1: 'Complete outage',
  P2: 'Degraded service',
  P3: 'Minor impact',
  P4: 'No user impact',
};

/** The leaves of the runbook's decision tree, plus `healthy`. */
export type Branch =
  | 'vendor-incident'
  | 'our-integration'
  | 'resolved-or-intermittent'
  | 'our-infrastructure'
  | 'healthy';

export const ACTION_IDS = [
  'enable-fallback',
  'disable-fallback',
  'queue-mode',
  'direct-mode',
  'rollout-restart',
  'rotate-api-key',
] as const;
export type ActionId = (typeof ACTION_IDS)[number];

/**
 * What a probe could tell. `unknown` means it could not tell (timeout, garbage, no data);
 * it is never read as fine nor as an outage.
 */
export type SignalState = 'ok' | 'degraded' | 'failing' | 'unknown';

export type SignalSource =
  | 'vendor-status'
  | 'vendor-api'
  | 'integration-health'
  | 'metrics'
  | 'kubernetes';

export interface Signal<TValue = unknown> {
  source: SignalSource;
  state: SignalState;
  /** One line a person can read: "status page: major outage", "401 on 93% of calls". */
  summary: string;
  /** Structured detail of the observation; never contains a secret. */
  value?: TValue;
  /** ISO time the upstream was observed. */
  observedAt: string;
  latencyMs: number;
  /** Set when `state` is `unknown`, or when a stale value is served. */
  reason?: string;
  /** True when this is the last known good value, served because the upstream failed now. */
  stale?: boolean;
  /** With `stale`: how old the served value is, in seconds, at the time it was served. */
  ageSeconds?: number;
  /** No upstream of this kind is configured: nothing to read, which is not a monitoring gap. */
  notConfigured?: boolean;
}

/** Vendor status page, Statuspage v2 vocabulary. */
export interface VendorStatusValue {
  indicator: 'none' | 'minor' | 'major' | 'critical';
  description: string;
  /** Unresolved incidents on the page. */
  incidents: Array<{
    name: string;
    status: string;
    impact: string;
    updatedAt?: string;
  }>;
  components: Array<{ name: string; status: string }>;
}

/** The product's own cheap authenticated call to the Vast.ai API. */
export interface VendorApiValue {
  /**
   * `unreachable`: no connection (refused, reset, DNS); `timeout`: no answer within the deadline;
   * `edge-blocked`: a 403 from Vast.ai's edge (CDN/WAF) for the caller's network, not about the key.
   */
  outcome:
    | 'ok'
    | 'auth-failure'
    | 'rate-limited'
    | 'vendor-error'
    | 'edge-blocked'
    | 'unreachable'
    | 'timeout';
  httpStatus?: number;
  message?: string;
  /** The probe's usual latency: a low percentile of its recent answered calls (none yet: absent). */
  baselineLatencyMs?: number;
}

export interface IntegrationHealthValue {
  /** Normalised from the three accepted shapes. */
  status: 'healthy' | 'degraded' | 'unhealthy';
  vastaiConnected?: boolean;
  latencyMs?: number;
  fallback?: boolean;
  httpStatus?: number;
}

/** Instant readings of the named Prometheus queries; null = no data (never zero). */
export interface MetricsValue {
  errorRatio: number | null;
  errorsPerMinuteByClass: Record<string, number> | null;
  rateLimitedPerMinute: number | null;
  vendor5xxPerMinute: number | null;
  authErrorsPerMinute: number | null;
  p99LatencySeconds: number | null;
  scrapeUp: boolean | null;
  /** Errors in the last hour but none in the last 5 minutes: the trouble has passed. */
  recentErrorsButNowQuiet?: boolean;
}

export interface PodSummary {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  waitingReason?: string;
  lastTerminationReason?: string;
  startedAt?: string;
}

export interface KubernetesValue {
  cluster: string;
  namespace: string;
  deployment: string;
  desiredReplicas: number;
  readyReplicas: number;
  pods: PodSummary[];
  /** The deployment's current remediation switches, read from its pod template env. */
  fallbackEnabled?: boolean;
  rateLimitMode?: string;
  /** A rollout in progress (new pods not yet all ready). */
  rolloutInProgress?: boolean;
  warningEvents: Array<{
    reason: string;
    message: string;
    count: number;
    lastSeen?: string;
  }>;
}

export interface LogLine {
  pod: string;
  container?: string;
  time?: string;
  /** Redacted before it leaves the backend. */
  text: string;
}

/** One reading a decision rests on, with its age, so a person can judge how current it is. */
export interface EvidenceReading {
  source: SignalSource;
  /** What was read, in words: "unreachable (connection refused)", "answers in 1.5 s". */
  text: string;
  /** Seconds between the observation and the triage. */
  ageSeconds: number;
  /** Older than its freshness budget, or a last known value served because the upstream failed now. */
  stale: boolean;
  /** How long the read took (our probe's latency), in ms. */
  latencyMs?: number;
  /** Our probe's usual latency, in ms, when known. */
  baselineLatencyMs?: number;
  /** Our probe could not reach Vast.ai (refused, reset, timed out). */
  unreachable?: boolean;
}

/** One decision of the runbook's tree, with the evidence that decided it. */
export interface DecisionStep {
  /** 'vendor-api-errors' | 'vendor-status-incident' | 'service-healthy' */
  question: string;
  answer: 'yes' | 'no' | 'unknown';
  evidence: string;
  /**
   * Where this answer led: the next question, or the branch at the leaf. Needed because an
   * `unknown` answer is resolved by other evidence, so the answer alone does not say which way.
   */
  leadsTo?: string;
  /** The readings behind this decision, with their age. */
  readings?: EvidenceReading[];
}

/**
 * Whose side the trouble is on: `vastai` (the vendor), `ours` (our integration, service or
 * network), `unclear` (something is wrong and the evidence cannot place it), `none` (nothing is).
 */
export type TriageSide = 'vastai' | 'ours' | 'unclear' | 'none';

export interface RecommendedAction {
  id: ActionId;
  reason: string;
}

/**
 * Where the runbook sends people, as http(s) URLs from the backend's config (never from an entity
 * or a request). Absent keys: no link.
 */
export interface TriageLinks {
  /** The vendor's public status page, for people (the probe may read a machine URL instead). */
  vendorStatus?: string;
  /** Where to ask the vendor for help. */
  vendorSupport?: string;
  /** The team's runbook for this integration. */
  runbook?: string;
}

export interface TriageReport {
  entityRef: string;
  integration: string;
  severity: Severity | null;
  branch: Branch;
  /** The decisions taken from the root to the leaf. */
  path: DecisionStep[];
  /** The verdict in one sentence; it names the side. */
  verdict: string;
  side?: TriageSide;
  reasons: string[];
  actions: RecommendedAction[];
  signals: Signal[];
  generatedAt: string;
  /** The vendor's status page and support, and the runbook, as configured for the integration. */
  links?: TriageLinks;
}

/** Server-side PromQL templates, chosen by id (never raw PromQL from a client). */
export const METRIC_QUERY_IDS = [
  'error-ratio',
  'errors-by-class',
  'rate-limited-rate',
  'vendor-5xx-rate',
  'auth-error-rate',
  'p99-latency',
  'scrape-up',
] as const;
export type MetricQueryId = (typeof METRIC_QUERY_IDS)[number];

export const METRIC_RANGES = ['1h', '6h', '24h'] as const;
export type MetricRange = (typeof METRIC_RANGES)[number];

export interface MetricSeries {
  labels: Record<string, string>;
  /** [unix seconds, value]; null where Prometheus had no sample or the value is NaN/Inf. */
  points: Array<[number, number | null]>;
}

export interface MetricRangeResponse {
  queryId: MetricQueryId;
  /** unix seconds */
  start: number;
  end: number;
  stepSeconds: number;
  series: MetricSeries[];
  /** The runbook threshold for this query, for a reference line, in the query's unit. */
  threshold?: number;
  unit: 'ratio' | 'per-minute' | 'seconds' | 'up';
  /** Why `series` is empty or old: Prometheus not configured, failing, or answering garbage. */
  reason?: string;
  /** True when the series are the last known good answer, served because Prometheus failed. */
  stale?: boolean;
  ageSeconds?: number;
}

export interface LogsResponse {
  lines: LogLine[];
  /** True when the byte or line bound cut the answer short. */
  truncated: boolean;
  sinceMinutes: number;
  /** Why there are no lines or only old ones: no deployment configured, Kubernetes failing. */
  reason?: string;
  /** True when the lines are the last known good answer, served because Kubernetes failed. */
  stale?: boolean;
  ageSeconds?: number;
}
