import net from 'node:net';
import type { Config } from '@backstage/config';
import { configError } from './checks';

/**
 * Loopback and "this host" addresses: where the sandbox's Slack and Statuspage receivers listen.
 * Node's BlockList matches the IPv4 rules against IPv4-mapped IPv6 forms too (`::ffff:7f00:1`).
 */
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

/**
 * A production start is one whose configuration says so: `auth.environment: production`, as
 * app-config.production.yaml does. One rule, read from the config itself, so every replica and
 * every test decides alike whatever NODE_ENV the process runs with.
 */
export function isProductionConfig(root: Config): boolean {
  return root.getOptionalString('auth.environment') === 'production';
}

/**
 * True for a URL on this machine: `localhost` and `*.localhost` names, and loopback or unspecified
 * addresses in any notation the URL parser accepts (decimal, octal and hex IPv4 forms included).
 */
export function isLoopbackUrl(rawUrl: string): boolean {
  let host: string;
  try {
    host = new URL(rawUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = net.isIP(host);
  if (family === 4) return LOOPBACK.check(host, 'ipv4');
  if (family === 6) return LOOPBACK.check(host, 'ipv6');
  return false;
}

/** The comms endpoints of the integrations: config key (below `vastaiIncident.`) and URL. */
function commsEndpoints(plugin: Config): Array<[key: string, url: string]> {
  const endpoints: Array<[string, string]> = [];
  const integrations = plugin.getOptionalConfig('integrations');
  for (const name of integrations?.keys() ?? []) {
    const integration = integrations!.getConfig(name);
    for (const key of [
      'slack.webhookUrl',
      'statuspage.apiBaseUrl',
      'pagerduty.eventsUrl',
    ]) {
      const url = integration.getOptionalString(key);
      if (url) endpoints.push([`integrations.${name}.${key}`, url]);
    }
  }
  return endpoints;
}

/**
 * Fails the start of a production config whose Slack webhook or Statuspage API is on loopback
 * (the sandbox's receivers, or a leftover of the embedded config): the incident messages would
 * go nowhere, silently. `vastaiIncident.allowLoopbackComms: true` allows it on purpose. The
 * message names the keys, never a URL (a webhook URL is a secret).
 */
export function checkProductionComms(root: Config): void {
  const plugin = root.getOptionalConfig('vastaiIncident');
  if (!plugin || !isProductionConfig(root)) return;
  if (plugin.getOptionalBoolean('allowLoopbackComms')) return;
  const loopback = commsEndpoints(plugin)
    .filter(([, url]) => isLoopbackUrl(url))
    .map(([key]) => key);
  if (!loopback.length) return;
  throw configError(
    loopback.join(', vastaiIncident.'),
    'a production start (auth.environment: production) cannot send incident communications to a loopback address, where only the sandbox listens. Configure the real Slack webhook and Statuspage API, or set vastaiIncident.allowLoopbackComms: true to allow it on purpose',
  );
}
