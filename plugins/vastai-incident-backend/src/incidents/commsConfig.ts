import type { Config } from '@backstage/config';
import {
  INCIDENT_STATUSES,
  SEVERITIES,
} from '@vastai-incident/backstage-plugin-common';
import { checkUrl, configError } from '../config/checks';
import { DEFAULT_PUBLIC_TEMPLATE, PublicStatusTemplate } from './publicStatus';
import {
  BusinessHours,
  readBusinessHours,
  readEvidenceLeadMs,
} from './responseClock';

export interface SlackConfig {
  /** The incoming webhook URL: it is the secret. */
  webhookUrl: string;
}

export interface StatuspageConfig {
  /** Default https://api.statuspage.io/v1 */
  apiBaseUrl: string;
  pageId: string;
  apiKey: string;
  /** The component of the page that stands for this integration (optional). */
  componentId?: string;
  /** The public words: the configured ones over the runbook's defaults. */
  publicTemplate: PublicStatusTemplate;
}

/** PagerDuty Events API v2 for one integration. */
export interface PagerDutyConfig {
  /** Default https://events.pagerduty.com/v2/enqueue */
  eventsUrl: string;
  /** The integration key: a secret, sent in the event body and nowhere else. */
  routingKey: string;
  /** `payload.source`; default the incident's entity ref. */
  source?: string;
  /** `payload.group`; default the integration's name. */
  group?: string;
}

export interface IntegrationCommsConfig {
  slack?: SlackConfig;
  statuspage?: StatuspageConfig;
  pagerduty?: PagerDutyConfig;
}

export interface IncidentsConfig {
  /** Comms config per integration name. */
  comms: Map<string, IntegrationCommsConfig>;
  /** Every secret of this config and the plugin's, for the redactor. */
  secrets: string[];
  /** Largest evidence bundle, compressed, in bytes. */
  maxEvidenceBytes: number;
  /** `incidents.businessHours`: the P4 response clock ("next business day"). */
  businessHours: BusinessHours;
  /** `incidents.evidenceLeadMinutes`: how long before the declaration evidence starts, in ms. */
  evidenceLeadMs: number;
}

/**
 * Reads `vastaiIncident.integrations.<name>.slack` / `.statuspage` / `.pagerduty` and
 * `vastaiIncident.incidents.maxEvidenceBytes`. Error messages name the key, never a value.
 */
export function readIncidentsConfig(root: Config): IncidentsConfig {
  const c = root.getOptionalConfig('vastaiIncident');
  const comms = new Map<string, IntegrationCommsConfig>();
  const secrets: string[] = [];
  const operatorKey = c?.getOptionalString('vendor.operatorApiKey');
  if (operatorKey) secrets.push(operatorKey);
  const integrations = c?.getOptionalConfig('integrations');
  for (const name of integrations?.keys() ?? []) {
    const ic = integrations!.getConfig(name);
    const entry: IntegrationCommsConfig = {};
    const slack = ic.getOptionalConfig('slack');
    const webhookUrl = slack?.getOptionalString('webhookUrl');
    if (webhookUrl) {
      entry.slack = {
        webhookUrl: checkUrl(
          `integrations.${name}.slack.webhookUrl`,
          webhookUrl,
        ),
      };
      secrets.push(webhookUrl);
    }
    const sp = ic.getOptionalConfig('statuspage');
    if (sp) {
      const apiKey = sp.getString('apiKey');
      secrets.push(apiKey);
      entry.statuspage = {
        apiBaseUrl: checkUrl(
          `integrations.${name}.statuspage.apiBaseUrl`,
          sp.getOptionalString('apiBaseUrl') ?? 'https://api.statuspage.io/v1',
        ).replace(/\/+$/, ''),
        pageId: sp.getString('pageId'),
        apiKey,
        componentId: sp.getOptionalString('componentId'),
        publicTemplate: readPublicTemplate(
          `integrations.${name}.statuspage.publicTemplate`,
          sp.getOptionalConfig('publicTemplate'),
        ),
      };
    }
    const pd = ic.getOptionalConfig('pagerduty');
    if (pd) {
      const routingKey = pd.getString('routingKey');
      if (!routingKey.trim()) {
        throw configError(
          `integrations.${name}.pagerduty.routingKey`,
          'must not be empty',
        );
      }
      secrets.push(routingKey);
      entry.pagerduty = {
        eventsUrl: checkUrl(
          `integrations.${name}.pagerduty.eventsUrl`,
          pd.getOptionalString('eventsUrl') ??
            'https://events.pagerduty.com/v2/enqueue',
        ),
        routingKey,
        source: pd.getOptionalString('source'),
        group: pd.getOptionalString('group'),
      };
    }
    comms.set(name, entry);
  }
  const maxEvidenceBytes =
    c?.getOptionalNumber('incidents.maxEvidenceBytes') ?? 10 * 1024 * 1024;
  return {
    comms,
    secrets,
    maxEvidenceBytes,
    businessHours: readBusinessHours(
      c?.getOptionalConfig('incidents.businessHours'),
    ),
    evidenceLeadMs: readEvidenceLeadMs(
      c?.getOptionalNumber('incidents.evidenceLeadMinutes'),
    ),
  };
}

/** A block of non-empty texts, one per key, each falling back to its default. */
function textsOf<K extends string>(
  key: string,
  config: Config | undefined,
  keys: readonly K[],
  defaults: Record<K, string>,
): Record<K, string> {
  const texts = { ...defaults };
  for (const k of keys) {
    const value = config?.getOptionalString(k);
    if (value === undefined) continue;
    if (!value.trim()) throw configError(`${key}.${k}`, 'must not be empty');
    texts[k] = value;
  }
  return texts;
}

/** `statuspage.publicTemplate`: `name`, `impact.<P1..P4>`, `body.<status>`; defaults per key. */
function readPublicTemplate(
  key: string,
  config: Config | undefined,
): PublicStatusTemplate {
  const defaults = DEFAULT_PUBLIC_TEMPLATE;
  const { name } = textsOf(key, config, ['name'], defaults);
  return {
    name,
    impact: textsOf(
      `${key}.impact`,
      config?.getOptionalConfig('impact'),
      SEVERITIES,
      defaults.impact,
    ),
    body: textsOf(
      `${key}.body`,
      config?.getOptionalConfig('body'),
      INCIDENT_STATUSES,
      defaults.body,
    ),
  };
}
