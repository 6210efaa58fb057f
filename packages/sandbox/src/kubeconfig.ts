import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The sandbox API server's bearer token (a sandbox-only credential, see src/kube/server.ts). */
export const SANDBOX_KUBE_TOKEN = 'sandbox-token';

/**
 * kubectl (client-go) sends bearer tokens only over TLS, so kubectl talks to the sandbox's HTTPS
 * endpoint and trusts its self-signed certificate through `certificate-authority-data`.
 */
export function kubeconfigYaml(
  server: string,
  caCert?: string,
  token = SANDBOX_KUBE_TOKEN,
): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: vastai-sandbox',
    '    cluster:',
    `      server: ${server}`,
    ...(caCert
      ? [
          `      certificate-authority-data: ${Buffer.from(caCert).toString(
            'base64',
          )}`,
        ]
      : []),
    'users:',
    '  - name: sandbox-admin',
    '    user:',
    `      token: ${token}`,
    'contexts:',
    '  - name: vastai-sandbox',
    '    context:',
    '      cluster: vastai-sandbox',
    '      user: sandbox-admin',
    '      namespace: vastai',
    'current-context: vastai-sandbox',
    '',
  ].join('\n');
}

/** Writes a kubeconfig for the real kubectl (`KUBECONFIG=<file> kubectl get pods`). */
export async function writeKubeconfig(
  dir: string,
  server: string,
  caCert?: string,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'kubeconfig');
  await writeFile(file, kubeconfigYaml(server, caCert), { mode: 0o600 });
  return file;
}
