import type { Config } from '@backstage/config';
import type { TriageLinks } from '@vastai-incident/backstage-plugin-common';
import { checkUrl } from './checks';

/**
 * Vast.ai's own pages, used when an integration sets no link of its own: its public status page
 * and the support contact its API description names.
 */
export const VASTAI_DEFAULT_LINKS = {
  vendorStatus: 'https://status.vast.ai',
  vendorSupport: 'https://discord.gg/vast',
} as const;

/**
 * `integrations.<name>.links`: where the tab points people. Each is an http(s) URL without
 * credentials, checked at start, so no config can put a `javascript:` or `data:` URL in a page.
 */
export function readIntegrationLinks(ic: Config, key: string): TriageLinks {
  const lc = ic.getOptionalConfig('links');
  const links: TriageLinks = {
    vendorStatus:
      checkUrl(
        `${key}.links.vendorStatus`,
        lc?.getOptionalString('vendorStatus'),
      ) ?? VASTAI_DEFAULT_LINKS.vendorStatus,
    vendorSupport:
      checkUrl(
        `${key}.links.vendorSupport`,
        lc?.getOptionalString('vendorSupport'),
      ) ?? VASTAI_DEFAULT_LINKS.vendorSupport,
  };
  const runbook = checkUrl(
    `${key}.links.runbook`,
    lc?.getOptionalString('runbook'),
  );
  if (runbook) links.runbook = runbook;
  return links;
}
