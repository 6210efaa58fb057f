import {
  AppsV1Api,
  CoreV1Api,
  CoreV1Event,
  createConfiguration,
  KubeConfig,
  ResponseContext,
  ServerConfiguration,
  V1Deployment,
  V1Pod,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import type { ClusterConfig } from '../../config';
import { HttpClient, retryRead } from '../../upstream';

/** The Kubernetes reads the probes need; small so tests and the end-to-end harness can swap it. */
export interface KubernetesReader {
  readDeployment(namespace: string, name: string): Promise<V1Deployment>;
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  listWarningEvents(namespace: string): Promise<CoreV1Event[]>;
  readPodLog(
    namespace: string,
    pod: string,
    options: {
      container?: string;
      sinceSeconds: number;
      tailLines: number;
      limitBytes: number;
    },
  ): Promise<string>;
}

export interface KubernetesClientOptions {
  http: HttpClient;
  timeoutMs: number;
  maxBytes: number;
  retries?: number;
}

/**
 * The generated API classes of @kubernetes/client-node, with its transport replaced by ours:
 * client-node's own (node-fetch) follows redirects and reads bodies of any size; ours has a
 * deadline, a size cap and never follows redirects. Auth and TLS still come from client-node.
 */
export function createKubernetesApis(
  cluster: ClusterConfig,
  options: KubernetesClientOptions,
) {
  const https = cluster.url.startsWith('https:');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url,
        // client-node refuses plain http unless this is set; without TLS there is nothing to
        // verify (a loopback sandbox), so it only keeps its meaning for https.
        skipTLSVerify: cluster.skipTLSVerify || !https,
        caData: cluster.caData,
      },
    ],
    users: [{ name: 'backstage', token: cluster.serviceAccountToken }],
    contexts: [
      { name: cluster.name, cluster: cluster.name, user: 'backstage' },
    ],
    currentContext: cluster.name,
  });
  const httpApi = wrapHttpLibrary({
    async send(request) {
      const body = request.getBody();
      const response = await options.http({
        url: request.getUrl(),
        method: request.getHttpMethod().toString() as 'GET',
        headers: request.getHeaders(),
        body:
          body === undefined || typeof body === 'string' ? body : String(body),
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        agent: https ? (request.getAgent() as any) : undefined,
        signal: request.getSignal(),
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined)
          headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return new ResponseContext(response.status, headers, {
        text: async () => response.body,
        binary: async () => Buffer.from(response.body, 'utf8'),
      });
    },
  });
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.url.replace(/\/+$/, ''), {}),
    authMethods: { default: kc },
    httpApi,
  });
  return {
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
  };
}

/** A KubernetesReader over the real API of one configured cluster. Reads retry, bounded. */
export function createKubernetesReader(
  cluster: ClusterConfig,
  options: KubernetesClientOptions,
): KubernetesReader {
  const { core, apps } = createKubernetesApis(cluster, options);
  const read = <T>(fn: () => Promise<T>) =>
    retryRead(fn, {
      retries: options.retries ?? 1,
      deadlineAt: Date.now() + options.timeoutMs * 2,
    });
  return {
    readDeployment: (namespace, name) =>
      read(() => apps.readNamespacedDeployment({ namespace, name })),
    listPods: async (namespace, labelSelector) =>
      (
        await read(() =>
          core.listNamespacedPod({ namespace, labelSelector, limit: 200 }),
        )
      ).items,
    listWarningEvents: async namespace =>
      (
        await read(() =>
          core.listNamespacedEvent({
            namespace,
            fieldSelector: 'type=Warning',
            limit: 500,
          }),
        )
      ).items,
    readPodLog: (namespace, name, o) =>
      read(() =>
        core.readNamespacedPodLog({
          namespace,
          name,
          container: o.container,
          sinceSeconds: o.sinceSeconds,
          tailLines: o.tailLines,
          limitBytes: o.limitBytes,
          timestamps: true,
        }),
      ),
  };
}

/** A short, secret-free reason for a failed Kubernetes call. */
export function kubernetesErrorReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number') {
    if (code === 404) return 'Kubernetes API: not found (404)';
    if (code === 401 || code === 403)
      return `Kubernetes API refused the service account (${code})`;
    return `Kubernetes API answered HTTP ${code}`;
  }
  return undefined;
}
