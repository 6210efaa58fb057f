import type { JsonObject } from '@backstage/types';
import type { Sandbox } from '@internal/vastai-sandbox';

/** The Kubernetes cluster and the Vast.ai incident plugin pointed at the sandbox's ephemeral ports. */
export function sandboxConfig({ urls }: Sandbox): JsonObject {
  return {
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'sandbox',
              url: urls.kubernetes,
              authProvider: 'serviceAccount',
              serviceAccountToken: 'sandbox-token',
              skipMetricsLookup: true,
            },
          ],
        },
      ],
    },
    vastaiIncident: {
      actions: { cooldownSeconds: 0, verifyTimeoutSeconds: 15 },
      vendor: {
        apiBaseUrl: `${urls.vastApi}/api/v0`,
        status: { type: 'statuspage', url: urls.statusPage },
      },
      prometheus: { baseUrl: urls.prometheus ?? 'http://127.0.0.1:9' },
      integrations: {
        'vastai-integration': {
          healthUrl: `${urls.services['vastai-integration']}/health`,
          slack: {
            webhookUrl: `${urls.receivers}/slack/webhook/vastai-oncall`,
          },
          statuspage: { apiBaseUrl: `${urls.receivers}/statuspage/v1` },
        },
        'vastai-batch-worker': {
          healthUrl: `${urls.services['vastai-batch-worker']}/health`,
        },
      },
    },
  };
}
