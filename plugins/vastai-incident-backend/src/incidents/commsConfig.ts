import type { Config } from '@backstage/config';

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
}

export interface IntegrationCommsConfig {
  slack?: SlackConfig;
  statuspage?: StatuspageConfig;
}

export interface IncidentsConfig {
  /** Comms config per integration name. */
  comms: Map<string, IntegrationCommsConfig>;
  /** Every secret of this config and the plugin's, for the redactor. */
  secrets: string[];
  /** Largest evidence bundle, compressed, in bytes. */
  maxEvidenceBytes: number;
}

function checkHttpUrl(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Invalid config at vastaiIncident.${key}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `Invalid config at vastaiIncident.${key}: must be an http(s) URL`,
    );
  }
  if (url.username || url.password) {
    throw new Error(
      `Invalid config at vastaiIncident.${key}: credentials in URLs are not allowed`,
    );
  }
  return value;
}

/**
 * Reads `vastaiIncident.integrations.<name>.slack` / `.statuspage` and
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
        webhookUrl: checkHttpUrl(
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
        apiBaseUrl: checkHttpUrl(
          `integrations.${name}.statuspage.apiBaseUrl`,
          sp.getOptionalString('apiBaseUrl') ?? 'https://api.statuspage.io/v1',
        ).replace(/\/+$/, ''),
        pageId: sp.getString('pageId'),
        apiKey,
        componentId: sp.getOptionalString('componentId'),
      };
    }
    comms.set(name, entry);
  }
  const maxEvidenceBytes =
    c?.getOptionalNumber('incidents.maxEvidenceBytes') ?? 10 * 1024 * 1024;
  return { comms, secrets, maxEvidenceBytes };
}
