/**
 * A kube store and API server on an ephemeral port, a kubeconfig pointing at it, and the real
 * kubectl run against it: what the kube tests drive.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {
  InMemoryKubeStore,
  InMemoryKubeStoreOptions,
  KubeApiServer,
  KubeSeed,
  createKubeApiServer,
} from '../kube';
import { SANDBOX_KUBE_TOKEN, writeKubeconfig } from '../kubeconfig';
import { KubectlResult, makeKubectl } from './kubectl';

export const defaultTestSeed = (): KubeSeed => ({
  namespaces: ['vastai'],
  secrets: [
    {
      namespace: 'vastai',
      name: 'vastai-secrets',
      data: { 'api-key': 'key-one' },
    },
    {
      namespace: 'vastai',
      name: 'vastai-batch-secrets',
      data: { 'api-key': 'batch-key' },
    },
  ],
  deployments: [
    {
      namespace: 'vastai',
      name: 'vastai-integration',
      replicas: 2,
      image: 'ghcr.io/example/vastai-integration:1.4.2',
      env: [
        { name: 'RATE_LIMIT_MODE', value: 'direct' },
        { name: 'VASTAI_FALLBACK', value: 'false' },
        {
          name: 'VASTAI_API_KEY',
          valueFrom: {
            secretKeyRef: { name: 'vastai-secrets', key: 'api-key' },
          },
        },
      ],
    },
    {
      namespace: 'vastai',
      name: 'vastai-batch-worker',
      replicas: 1,
      image: 'ghcr.io/example/vastai-batch-worker:0.9.0',
      env: [
        { name: 'RATE_LIMIT_MODE', value: 'direct' },
        {
          name: 'VASTAI_API_KEY',
          valueFrom: {
            secretKeyRef: { name: 'vastai-batch-secrets', key: 'api-key' },
          },
        },
      ],
    },
  ],
});

export interface KubeTestCluster {
  store: InMemoryKubeStore;
  server: KubeApiServer;
  dir: string;
  kubeconfig: string;
  token: string;
  /** Run kubectl; resolves with stdout, rejects with a `KubectlError` (code, stdout, stderr). */
  kubectl(args: string[], opts?: { input?: string }): Promise<string>;
  /** Run kubectl and resolve with everything (exit code, stdout, stderr). */
  kubectlRun(args: string[]): Promise<KubectlResult>;
  /** Run kubectl expecting failure: resolves with its exit code and output. */
  kubectlFails(args: string[]): Promise<KubectlResult>;
  /** A raw HTTPS request to the API server (authenticated unless token is given). */
  request(
    method: string,
    urlPath: string,
    opts?: {
      body?: unknown;
      contentType?: string;
      token?: string | null;
      accept?: string;
    },
  ): Promise<{
    status: number;
    body: any;
    text: string;
    headers: Record<string, any>;
  }>;
  close(): Promise<void>;
}

export async function startKubeTestCluster(
  options: InMemoryKubeStoreOptions & { seed?: KubeSeed } = {},
): Promise<KubeTestCluster> {
  const store = new InMemoryKubeStore({
    rolloutStepMs: 100,
    crashLoopIntervalMs: 300,
    ...options,
  });
  store.reset(options.seed ?? defaultTestSeed());
  const token = SANDBOX_KUBE_TOKEN;
  const server = await createKubeApiServer(store, {
    port: 0,
    tls: true,
    token,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sandbox-'));
  const kubeconfig = await writeKubeconfig(dir, server.url, server.caCert);
  const kubectl = await makeKubectl(kubeconfig, { home: dir });

  const request: KubeTestCluster['request'] = (method, urlPath, opts = {}) =>
    new Promise((resolve, reject) => {
      const url = new URL(urlPath, server.url);
      let body: string | undefined;
      if (typeof opts.body === 'string') body = opts.body;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      const auth = opts.token === undefined ? token : opts.token;
      const req = https.request(
        url,
        {
          method,
          ca: server.caCert,
          headers: {
            ...(auth ? { authorization: `Bearer ${auth}` } : {}),
            ...(body !== undefined
              ? { 'content-type': opts.contentType ?? 'application/json' }
              : {}),
            ...(opts.accept ? { accept: opts.accept } : {}),
          },
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({
              status: res.statusCode ?? 0,
              body: parsed,
              text,
              headers: res.headers,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  return {
    store,
    server,
    dir,
    kubeconfig,
    token,
    kubectl: (args, opts = {}) => kubectl.ok(args, opts.input),
    kubectlRun: args => kubectl.run(args),
    kubectlFails: args => kubectl.fails(args),
    request,
    async close() {
      await server.close();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
