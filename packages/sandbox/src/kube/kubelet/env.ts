/**
 * A container's environment as the kubelet resolves it when the container starts: Secrets are
 * read at that moment (a later change to a Secret reaches only pods started after it), and a
 * missing Secret or key keeps the container from being created.
 */
import { KubeObject } from '../types';

export type SecretLookup = (
  namespace: string,
  name: string,
) => Record<string, string> | undefined;

export type ResolvedEnv =
  | { env: Record<string, string>; error?: undefined }
  | { env?: undefined; error: string };

/** `$(NAME)` in a value expands to an earlier variable; unknown names stay as written. */
const expand = (value: unknown, env: Record<string, string>) =>
  String(value).replace(
    /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
    (m: string, n: string) => env[n] ?? m,
  );

/** The first container's env: `envFrom.secretRef`, then `env` (value, secretKeyRef, fieldRef). */
export function resolvePodEnv(
  pod: KubeObject,
  nodeName: string,
  secretData: SecretLookup,
): ResolvedEnv {
  const ns = pod.metadata.namespace ?? '';
  const env: Record<string, string> = {};
  const c = pod.spec?.containers?.[0] ?? {};
  for (const from of c.envFrom ?? []) {
    if (from.secretRef) {
      const data = secretData(ns, from.secretRef.name);
      if (!data) {
        if (from.secretRef.optional) continue;
        return { error: `secret "${from.secretRef.name}" not found` };
      }
      for (const [k, v] of Object.entries(data))
        env[`${from.prefix ?? ''}${k}`] = v;
    }
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expand(e.value, env);
    else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const data = secretData(ns, ref.name);
      if (!data) {
        if (ref.optional) continue;
        return { error: `secret "${ref.name}" not found` };
      }
      if (!(ref.key in data)) {
        if (ref.optional) continue;
        return {
          error: `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`,
        };
      }
      env[e.name] = data[ref.key];
    } else if (e.valueFrom?.fieldRef) {
      const fields: Record<string, string> = {
        'metadata.name': pod.metadata.name,
        'metadata.namespace': ns,
        'spec.nodeName': nodeName,
        'status.podIP': pod.status?.podIP ?? '',
      };
      env[e.name] = fields[String(e.valueFrom.fieldRef.fieldPath)] ?? '';
    } else env[e.name] = '';
  }
  return { env };
}
