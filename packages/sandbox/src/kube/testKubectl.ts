/**
 * Test helpers: a store + API server on an ephemeral port, a kubeconfig pointing at it, and the
 * real kubectl run against it. Used by the kube tests; also handy for other sandbox tests.
 */
import { execFile } from 'child_process';
import fs from 'fs';
import https from 'https';
import os from 'os';
import path from 'path';
import { InMemoryKubeStore, InMemoryKubeStoreOptions } from './store';
import { KubeApiServer, createKubeApiServer } from './server';
import { KubeSeed } from './types';

export const KUBECTL = process.env.KUBECTL_BIN ?? '/usr/bin/kubectl';

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
  /** Run kubectl; resolves with stdout, rejects with an error carrying stderr and code. */
  kubectl(args: string[], opts?: { input?: string }): Promise<string>;
  /** Run kubectl and resolve with everything (exit code, stdout, stderr). */
  kubectlRun(
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Run kubectl expecting failure: resolves with { code, stderr }. */
  kubectlFails(args: string[]): Promise<{ code: number; stderr: string }>;
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
  const token = 'test-token-123';
  const server = await createKubeApiServer(store, {
    port: 0,
    tls: true,
    token,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sandbox-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sandbox',
      '  cluster:',
      `    server: ${server.url}`,
      `    certificate-authority-data: ${Buffer.from(server.caCert!).toString(
        'base64',
      )}`,
      'users:',
      '- name: sandbox',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: sandbox',
      '  context: {cluster: sandbox, user: sandbox, namespace: vastai}',
      'current-context: sandbox',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  const run = (args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>(resolve => {
      const child = execFile(
        KUBECTL,
        [
          '--kubeconfig',
          kubeconfig,
          '--cache-dir',
          path.join(dir, 'cache'),
          ...args,
        ],
        { timeout: 20_000, env: { ...process.env, HOME: dir, KUBECONFIG: '' } },
        (error, stdout, stderr) => {
          let code = 0;
          if (error)
            code =
              typeof (error as any).code === 'number' ? (error as any).code : 1;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });

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
    async kubectl(args, opts = {}) {
      const r = await run(args, opts.input);
      if (r.code !== 0) {
        throw Object.assign(
          new Error(
            `kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`,
          ),
          r,
        );
      }
      return r.stdout;
    },
    kubectlRun: args => run(args),
    async kubectlFails(args) {
      const r = await run(args);
      if (r.code === 0)
        throw new Error(
          `kubectl ${args.join(' ')} unexpectedly succeeded: ${r.stdout}`,
        );
      return { code: r.code, stderr: r.stderr };
    },
    request,
    async close() {
      await server.close();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll until `fn` returns a truthy value (or throw after `timeoutMs`). */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met in ${timeoutMs} ms${last ? `: ${last}` : ''}`,
      );
    await new Promise(r => setTimeout(r, intervalMs));
  }
}
