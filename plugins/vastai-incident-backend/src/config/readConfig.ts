import type { Config } from '@backstage/config';
import type { TriageLinks } from '@vastai-incident/backstage-plugin-common';
import type { Config as ConfigSchema } from '../../config';
import { entityRefText } from '../access/entityRef';
import { readActionSettings, type ActionSettings } from '../actions/settings';
import {
  readIncidentsConfig,
  type IncidentsConfig,
} from '../incidents/commsConfig';
import {
  DEFAULT_FRESHNESS_SECONDS,
  DEFAULT_TRIAGE_THRESHOLDS,
  type FreshnessBudgets,
  type TriageThresholds,
} from '../triage';
import { checkUrl, configError } from './checks';
import { readIntegrationLinks } from './links';
import { checkProductionComms } from './productionChecks';

export interface ClusterConfig {
  name: string;
  url: string;
  serviceAccountToken?: string;
  skipTLSVerify: boolean;
  caData?: string;
}

type IntegrationSchema = NonNullable<
  NonNullable<ConfigSchema['vastaiIncident']>['integrations']
>[string];

/** An integration's deployment, as `config.d.ts` declares it. */
export type IntegrationKubernetesConfig = NonNullable<
  IntegrationSchema['kubernetes']
>;

export interface IntegrationConfig {
  name: string;
  title: string;
  /**
   * The entities allowed to use the integration (normalised refs): an entity whose annotation
   * names the integration and is not listed here is refused.
   */
  entities: ReadonlySet<string>;
  healthUrl?: string;
  prometheusJob?: string;
  kubernetes?: IntegrationKubernetesConfig;
  thresholds: TriageThresholds;
  /** Where the tab points people: the vendor's status page and support, the runbook. */
  links?: TriageLinks;
}

export interface VastaiIncidentConfig {
  actionsEnabled: boolean;
  cacheTtlMs: number;
  upstreamTimeoutMs: number;
  triageTimeoutMs: number;
  maxResponseBytes: number;
  staleMaxAgeMs: number;
  vendor: {
    apiBaseUrl?: string;
    operatorApiKey?: string;
    probeMinIntervalMs: number;
    status: { type: 'statuspage' | 'none'; url?: string };
  };
  prometheus?: { baseUrl: string; rateWindow: string };
  ssrfAllowedHosts: string[];
  integrations: Map<string, IntegrationConfig>;
  /** Clusters of the Kubernetes plugin's config, by name. */
  clusters: Map<string, ClusterConfig>;
  /** Per-source freshness budgets set in config, in seconds (the rest follow the intervals). */
  freshnessSeconds: Partial<FreshnessBudgets>;
}

/** A PromQL duration such as 30s, 5m, 1h30m. */
export const PROMQL_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Names usable as Kubernetes object names (RFC 1123), so config cannot smuggle paths. */
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function positive(
  key: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw configError(key, 'must be a positive number');
  }
  return value;
}

function readClusters(root: Config): Map<string, ClusterConfig> {
  const clusters = new Map<string, ClusterConfig>();
  const methods =
    root.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  for (const method of methods) {
    if (method.getOptionalString('type') !== 'config') continue;
    for (const cluster of method.getOptionalConfigArray('clusters') ?? []) {
      const name = cluster.getString('name');
      clusters.set(name, {
        name,
        url: cluster.getString('url'),
        serviceAccountToken: cluster.getOptionalString('serviceAccountToken'),
        skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
        caData: cluster.getOptionalString('caData'),
      });
    }
  }
  return clusters;
}

const bindingRef = entityRefText();

/** `integrations.<name>.entities`: the refs bound to the integration, normalised; none if unset. */
function readBoundEntities(ic: Config, key: string): ReadonlySet<string> {
  const refs = new Set<string>();
  for (const [i, value] of (
    ic.getOptionalStringArray('entities') ?? []
  ).entries()) {
    const ref = bindingRef.safeParse(value);
    if (!ref.success) {
      throw configError(
        `${key}.entities[${i}]`,
        `not an entity ref (kind:namespace/name): ${ref.error.issues[0].message}`,
      );
    }
    refs.add(ref.data);
  }
  return refs;
}

function readThresholds(
  config: Config | undefined,
  key: string,
): TriageThresholds {
  const thresholds: TriageThresholds = { ...DEFAULT_TRIAGE_THRESHOLDS };
  if (!config) return thresholds;
  for (const name of Object.keys(DEFAULT_TRIAGE_THRESHOLDS) as Array<
    keyof TriageThresholds
  >) {
    const value = config.getOptionalNumber(name);
    if (value !== undefined) {
      if (!Number.isFinite(value) || value < 0) {
        throw configError(`${key}.${name}`, 'must be a non-negative number');
      }
      thresholds[name] = value;
    }
  }
  return thresholds;
}

/** Reads and validates the `vastaiIncident` block; throws at startup on a broken config. */
export function readVastaiIncidentConfig(root: Config): VastaiIncidentConfig {
  const c = root.getOptionalConfig('vastaiIncident');
  const upstreamTimeoutMs = positive(
    'upstreamTimeoutMs',
    c?.getOptionalNumber('upstreamTimeoutMs'),
    3000,
  );
  const clusters = readClusters(root);

  const statusType = c?.getOptionalString('vendor.status.type') ?? 'statuspage';
  if (statusType !== 'statuspage' && statusType !== 'none') {
    throw configError('vendor.status.type', `unsupported type "${statusType}"`);
  }
  const statusUrl = checkUrl(
    'vendor.status.url',
    c?.getOptionalString('vendor.status.url'),
  );

  let prometheus: VastaiIncidentConfig['prometheus'];
  const promConfig = c?.getOptionalConfig('prometheus');
  if (promConfig) {
    const rateWindow = promConfig.getOptionalString('rateWindow') ?? '5m';
    if (!PROMQL_DURATION.test(rateWindow)) {
      throw configError(
        'prometheus.rateWindow',
        `"${rateWindow}" is not a PromQL duration`,
      );
    }
    prometheus = {
      baseUrl: checkUrl('prometheus.baseUrl', promConfig.getString('baseUrl')),
      rateWindow,
    };
  }

  const integrations = new Map<string, IntegrationConfig>();
  const integrationsConfig = c?.getOptionalConfig('integrations');
  for (const name of integrationsConfig?.keys() ?? []) {
    const ic = integrationsConfig!.getConfig(name);
    const key = `integrations.${name}`;
    const kc = ic.getOptionalConfig('kubernetes');
    let kubernetes: IntegrationKubernetesConfig | undefined;
    if (kc) {
      kubernetes = {
        cluster: kc.getString('cluster'),
        namespace: kc.getString('namespace'),
        deployment: kc.getString('deployment'),
        container: kc.getOptionalString('container'),
        secretName: kc.getOptionalString('secretName'),
        secretKey: kc.getOptionalString('secretKey'),
      };
      if (!clusters.has(kubernetes.cluster)) {
        throw configError(
          `${key}.kubernetes.cluster`,
          `no cluster "${kubernetes.cluster}" in kubernetes.clusterLocatorMethods (type config)`,
        );
      }
      for (const field of [
        'namespace',
        'deployment',
        'container',
        'secretName',
      ] as const) {
        const value = kubernetes[field];
        if (value !== undefined && !KUBE_NAME.test(value)) {
          throw configError(
            `${key}.kubernetes.${field}`,
            'not a valid Kubernetes name',
          );
        }
      }
    }
    integrations.set(name, {
      name,
      title: ic.getOptionalString('title') ?? name,
      entities: readBoundEntities(ic, key),
      healthUrl: checkUrl(
        `${key}.healthUrl`,
        ic.getOptionalString('healthUrl'),
      ),
      prometheusJob: ic.getOptionalString('prometheusJob'),
      kubernetes,
      thresholds: readThresholds(
        ic.getOptionalConfig('thresholds'),
        `${key}.thresholds`,
      ),
      links: readIntegrationLinks(ic, key),
    });
  }

  return {
    actionsEnabled: c?.getOptionalBoolean('actionsEnabled') ?? false,
    cacheTtlMs:
      positive('cacheTtlSeconds', c?.getOptionalNumber('cacheTtlSeconds'), 15) *
      1000,
    upstreamTimeoutMs,
    triageTimeoutMs: positive(
      'triageTimeoutMs',
      c?.getOptionalNumber('triageTimeoutMs'),
      // One deadline for the whole fan-out: a hanging upstream costs a triage no more than it.
      upstreamTimeoutMs,
    ),
    maxResponseBytes: positive(
      'maxResponseBytes',
      c?.getOptionalNumber('maxResponseBytes'),
      1024 * 1024,
    ),
    staleMaxAgeMs:
      positive(
        'staleMaxAgeSeconds',
        c?.getOptionalNumber('staleMaxAgeSeconds'),
        3600,
      ) * 1000,
    vendor: {
      apiBaseUrl: checkUrl(
        'vendor.apiBaseUrl',
        c?.getOptionalString('vendor.apiBaseUrl'),
      ),
      operatorApiKey: c?.getOptionalString('vendor.operatorApiKey'),
      probeMinIntervalMs:
        positive(
          'vendor.probeMinIntervalSeconds',
          c?.getOptionalNumber('vendor.probeMinIntervalSeconds'),
          30,
        ) * 1000,
      status: { type: statusType, url: statusUrl },
    },
    prometheus,
    ssrfAllowedHosts: c?.getOptionalStringArray('ssrf.allowedHosts') ?? [],
    integrations,
    clusters,
    freshnessSeconds: readFreshness(c),
  };
}

/** `freshnessSeconds.<source>`: how old a reading may be and still count as current evidence. */
function readFreshness(c: Config | undefined): Partial<FreshnessBudgets> {
  const budgets: Partial<FreshnessBudgets> = {};
  for (const source of Object.keys(DEFAULT_FRESHNESS_SECONDS) as Array<
    keyof FreshnessBudgets
  >) {
    const key = `freshnessSeconds.${source}`;
    const value = c?.getOptionalNumber(key);
    if (value !== undefined) budgets[source] = positive(key, value, value);
  }
  return budgets;
}

/** The whole plugin configuration, read and checked once at start. */
export interface PluginConfig {
  /** Upstreams, integrations and clusters. */
  core: VastaiIncidentConfig;
  /** Comms channels per integration, evidence limits, and every secret for the redactor. */
  incidents: IncidentsConfig;
  /** Whether and how remediation actions run. */
  actions: ActionSettings;
  /** What the plugin's Backstage actions (served to AI assistants over MCP) may do. */
  mcp: McpSettings;
}

/** `vastaiIncident.mcp.*` (declared in config.d.ts). */
export interface McpSettings {
  /** `rotate-api-key` may run through the Backstage actions. Default false. */
  allowKeyRotation: boolean;
}

/** Reads every part of the plugin's configuration; throws at startup on a broken one. */
export function readConfig(root: Config): PluginConfig {
  checkProductionComms(root);
  return {
    core: readVastaiIncidentConfig(root),
    incidents: readIncidentsConfig(root),
    actions: readActionSettings(root),
    mcp: {
      allowKeyRotation:
        root.getOptionalBoolean('vastaiIncident.mcp.allowKeyRotation') ?? false,
    },
  };
}
