import type { KubeSeed } from '../kube/types';

export const NAMESPACE = 'vastai';
export const INTEGRATION = 'vastai-integration';
export const BATCH_WORKER = 'vastai-batch-worker';
export const SERVICES = [INTEGRATION, BATCH_WORKER] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Secret holding each service's Vast.ai key (key `api-key`), as in the README. */
export const SECRET_OF: Record<ServiceName, string> = {
  [INTEGRATION]: 'vastai-secrets',
  [BATCH_WORKER]: 'vastai-batch-secrets',
};
export const SECRET_KEY = 'api-key';

/** The base world every scenario starts from: two deployments with default env, keys in Secrets. */
export function baseSeed(serviceKeys: Record<string, string>): KubeSeed {
  const deployment = (name: ServiceName, replicas: number) => ({
    namespace: NAMESPACE,
    name,
    replicas,
    image: `ghcr.io/example/${name}:1.14.2`,
    labels: { app: name },
    env: [
      { name: 'RATE_LIMIT_MODE', value: 'direct' },
      { name: 'VASTAI_FALLBACK', value: 'false' },
      {
        name: 'VASTAI_API_KEY',
        valueFrom: { secretKeyRef: { name: SECRET_OF[name], key: SECRET_KEY } },
      },
    ],
  });
  return {
    namespaces: [NAMESPACE],
    secrets: SERVICES.map(s => ({
      namespace: NAMESPACE,
      name: SECRET_OF[s],
      data: { [SECRET_KEY]: serviceKeys[s] },
    })),
    deployments: [deployment(INTEGRATION, 2), deployment(BATCH_WORKER, 1)],
  };
}
