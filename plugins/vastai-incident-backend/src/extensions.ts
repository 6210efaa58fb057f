import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { UpstreamClients } from './signals';

/** Lets a backend module replace the plugin's upstream clients (tests, harnesses, proxies). */
export interface VastaiIncidentUpstreamsExtensionPoint {
  setUpstreamClients(clients: UpstreamClients): void;
}

export const vastaiIncidentUpstreamsExtensionPoint =
  createExtensionPoint<VastaiIncidentUpstreamsExtensionPoint>({
    id: 'vastai-incident.upstreams',
  });
