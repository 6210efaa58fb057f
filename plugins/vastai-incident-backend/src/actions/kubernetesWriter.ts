import https from 'node:https';
import type { ClusterConfig } from '../config';
import {
  describeUpstreamError,
  HttpClient,
  HttpResponse,
  upstreamExcerpt,
} from '../upstream';
import type { DeploymentLike } from './patches';

/** A Secret as the actions see it: values stay inside the process, never in a result. */
export interface SecretSnapshot {
  name: string;
  namespace: string;
  resourceVersion: string;
  /** Decoded values, by key. Kept in memory only for the length of one run. */
  data: Record<string, string>;
}

/** The Kubernetes calls the actions make; small so tests can wrap or swap it. */
export interface KubernetesWriter {
  readDeployment(namespace: string, name: string): Promise<DeploymentLike>;
  /** Strategic merge patch, as kubectl sends it; `dryRun` adds `?dryRun=All`. */
  patchDeployment(
    namespace: string,
    name: string,
    patch: unknown,
    options: { dryRun: boolean },
  ): Promise<DeploymentLike>;
  readSecret(namespace: string, name: string): Promise<SecretSnapshot>;
  /**
   * Sets one key of a Secret, only if it still has `resourceVersion` (optimistic concurrency:
   * a changed Secret answers 409, raised as KubernetesApiError with status 409).
   */
  writeSecretKey(
    namespace: string,
    name: string,
    key: string,
    value: string,
    options: { resourceVersion: string; dryRun: boolean },
  ): Promise<{ resourceVersion: string }>;
}

/** A failed Kubernetes call: status and the API's reason, never a body that could hold a secret. */
export class KubernetesApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

const FIELD_MANAGER = 'backstage-vastai-incident';

function apiError(what: string, response: HttpResponse): KubernetesApiError {
  let reason = 'Unknown';
  let detail = '';
  try {
    const status = JSON.parse(response.body);
    if (typeof status?.reason === 'string') reason = status.reason;
    // Status messages of deployments are safe to show; those of Secrets are not echoed at all.
    if (typeof status?.message === 'string' && !what.startsWith('Secret')) {
      detail = `: ${upstreamExcerpt(status.message, 200)}`;
    }
  } catch {
    // not a Status object: the status code says enough
  }
  return new KubernetesApiError(
    response.status,
    reason,
    `${what}: Kubernetes API answered ${response.status} ${reason}${detail}`,
  );
}

/** Kubernetes over plain HTTPS with the cluster's service account token (the probes' cluster config). */
export function createKubernetesWriter(
  cluster: ClusterConfig,
  options: { http: HttpClient; timeoutMs: number; maxBytes: number },
): KubernetesWriter {
  const base = cluster.url.replace(/\/+$/, '');
  const agent = base.startsWith('https:')
    ? new https.Agent({
        ca: cluster.caData ? Buffer.from(cluster.caData, 'base64') : undefined,
        rejectUnauthorized: !cluster.skipTLSVerify,
      })
    : undefined;

  async function call(
    what: string,
    method: 'GET' | 'PATCH',
    path: string,
    body?: { contentType: string; text: string },
  ): Promise<any> {
    let response: HttpResponse;
    try {
      response = await options.http({
        url: `${base}${path}`,
        method,
        headers: {
          accept: 'application/json',
          ...(cluster.serviceAccountToken
            ? { authorization: `Bearer ${cluster.serviceAccountToken}` }
            : {}),
          ...(body ? { 'content-type': body.contentType } : {}),
        },
        body: body?.text,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        agent,
      });
    } catch (error) {
      throw new KubernetesApiError(
        0,
        'Unreachable',
        `${what}: ${describeUpstreamError(error)}`,
      );
    }
    if (response.status < 200 || response.status >= 300)
      throw apiError(what, response);
    try {
      return JSON.parse(response.body);
    } catch {
      throw new KubernetesApiError(
        response.status,
        'BadAnswer',
        `${what}: the answer is not JSON`,
      );
    }
  }

  const deploymentPath = (ns: string, name: string) =>
    `/apis/apps/v1/namespaces/${encodeURIComponent(
      ns,
    )}/deployments/${encodeURIComponent(name)}`;
  const secretPath = (ns: string, name: string) =>
    `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(
      name,
    )}`;
  const writeQuery = (dryRun: boolean) =>
    `?fieldManager=${FIELD_MANAGER}${dryRun ? '&dryRun=All' : ''}`;

  return {
    readDeployment: (ns, name) =>
      call(`Deployment ${ns}/${name}`, 'GET', deploymentPath(ns, name)),
    patchDeployment: (ns, name, patch, { dryRun }) =>
      call(
        `Deployment ${ns}/${name}`,
        'PATCH',
        `${deploymentPath(ns, name)}${writeQuery(dryRun)}`,
        {
          contentType: 'application/strategic-merge-patch+json',
          text: JSON.stringify(patch),
        },
      ),
    async readSecret(ns, name) {
      const secret = await call(
        `Secret ${ns}/${name}`,
        'GET',
        secretPath(ns, name),
      );
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(secret?.data ?? {})) {
        if (typeof value === 'string')
          data[key] = Buffer.from(value, 'base64').toString('utf8');
      }
      return {
        name,
        namespace: ns,
        resourceVersion: String(secret?.metadata?.resourceVersion ?? ''),
        data,
      };
    },
    async writeSecretKey(ns, name, key, value, { resourceVersion, dryRun }) {
      // A JSON merge patch carrying the resourceVersion we read: if anyone changed the Secret
      // since, the API server refuses it with 409, reported as a conflict, never overwritten.
      // Only metadata is kept from the answer.
      const written = await call(
        `Secret ${ns}/${name}`,
        'PATCH',
        `${secretPath(ns, name)}${writeQuery(dryRun)}`,
        {
          contentType: 'application/merge-patch+json',
          text: JSON.stringify({
            metadata: { resourceVersion },
            data: { [key]: Buffer.from(value, 'utf8').toString('base64') },
          }),
        },
      );
      return {
        resourceVersion: String(written?.metadata?.resourceVersion ?? ''),
      };
    },
  };
}
