/**
 * The exact strategic merge patches kubectl sends (checked against kubectl 1.32's requests to the
 * sandbox, see kubectlParity.test.ts), so a change made here is the change an operator would make
 * by hand, and reviewers can read it as such.
 */

/** One env entry of a container, as the API returns it. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/**
 * What an env var should become: a literal value, a whole previous entry (a revert, which may be a
 * `valueFrom`), or absent (`kubectl set env NAME-`).
 */
export type EnvChange =
  | { name: string; value: string }
  | { name: string; entry: EnvVar }
  | { name: string; remove: true };

export interface DeploymentLike {
  metadata?: {
    name?: string;
    namespace?: string;
    generation?: number;
    resourceVersion?: string;
  };
  spec?: {
    paused?: boolean;
    replicas?: number;
    template?: {
      metadata?: { annotations?: Record<string, string> };
      spec?: { containers?: Array<{ name: string; env?: EnvVar[] }> };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
  };
}

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** RFC 3339 at second precision, as kubectl writes it (`2026-11-28T22:49:08Z`). */
export function rfc3339Seconds(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `kubectl rollout restart`: the pod template's restartedAt annotation. */
export function restartPatch(now: Date) {
  return {
    spec: {
      template: {
        metadata: {
          annotations: { [RESTARTED_AT_ANNOTATION]: rfc3339Seconds(now) },
        },
      },
    },
  };
}

export function containerOf(deployment: DeploymentLike, name?: string) {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const container = name
    ? containers.find(c => c.name === name)
    : containers[0];
  if (!container) {
    throw new Error(
      name
        ? `the deployment has no container "${name}"`
        : 'the deployment has no container',
    );
  }
  return container;
}

function sameEnv(a: EnvVar, b: EnvVar): boolean {
  return (
    a.value === b.value &&
    JSON.stringify(a.valueFrom ?? null) === JSON.stringify(b.valueFrom ?? null)
  );
}

/**
 * `kubectl set env deployment/x [-c container] NAME=value | NAME-`: a two-way strategic merge
 * patch of the container's env, merged by name, with the `$setElementOrder` directives kubectl
 * adds. Returns undefined when nothing would change (kubectl then sends nothing either).
 */
export function setEnvPatch(
  deployment: DeploymentLike,
  containerName: string | undefined,
  changes: EnvChange[],
) {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const container = containerOf(deployment, containerName);
  const env = [...(container.env ?? [])];
  const patchEnv: Array<Record<string, unknown>> = [];
  for (const change of changes) {
    const index = env.findIndex(e => e.name === change.name);
    if ('remove' in change) {
      if (index < 0) continue;
      env.splice(index, 1);
      patchEnv.push({ $patch: 'delete', name: change.name });
      continue;
    }
    const next: EnvVar =
      'entry' in change
        ? { ...change.entry, name: change.name }
        : { name: change.name, value: change.value };
    const previous = index >= 0 ? env[index] : undefined;
    if (previous && sameEnv(previous, next)) continue;
    if (index >= 0) env[index] = next;
    else env.push(next);
    // The two-way diff kubectl computes: changed fields, and null for fields that went away.
    const item: Record<string, unknown> = { name: change.name };
    if (next.value !== undefined) item.value = next.value;
    if (next.valueFrom !== undefined) item.valueFrom = next.valueFrom;
    if (previous?.value !== undefined && next.value === undefined)
      item.value = null;
    if (previous?.valueFrom !== undefined && next.valueFrom === undefined)
      item.valueFrom = null;
    patchEnv.push(item);
  }
  if (patchEnv.length === 0) return undefined;
  return {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': containers.map(c => ({
            name: c.name,
          })),
          containers: [
            {
              '$setElementOrder/env': env.map(e => ({ name: e.name })),
              env: patchEnv,
              name: container.name,
            },
          ],
        },
      },
    },
  };
}

/** The env entry by name, or undefined. */
export function envEntry(
  deployment: DeploymentLike,
  containerName: string | undefined,
  name: string,
): EnvVar | undefined {
  return containerOf(deployment, containerName).env?.find(e => e.name === name);
}

/** Rollout done as `kubectl rollout status` and the runbook judge it. */
export function rolloutComplete(deployment: DeploymentLike): boolean {
  const desired = deployment.spec?.replicas ?? 1;
  const s = deployment.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === desired &&
    (s.availableReplicas ?? 0) === desired &&
    (s.replicas ?? 0) === desired
  );
}
