import {
  containerOf,
  DeploymentLike,
  EnvVar,
  RESTARTED_AT_ANNOTATION,
} from './patches';
import type { ActionDiffLine } from './types';

export const MASK = '********';

/** How an env entry reads in a diff: its value, or where it comes from (never a secret's value). */
export function describeEnv(entry: EnvVar | undefined): string | null {
  if (!entry) return null;
  if (entry.value !== undefined) return entry.value;
  const ref = (entry.valueFrom as any)?.secretKeyRef;
  if (ref) return `<from Secret ${ref.name}/${ref.key}>`;
  const cm = (entry.valueFrom as any)?.configMapKeyRef;
  if (cm) return `<from ConfigMap ${cm.name}/${cm.key}>`;
  return entry.valueFrom ? '<from a reference>' : '';
}

/**
 * What an action changes, and so all its diff may show: the env vars it sets and the restart
 * annotation. Other env vars of the container (which may hold secrets) never appear, even when
 * someone else changed them meanwhile.
 */
export interface DiffScope {
  env: readonly string[];
  restartedAt: boolean;
}

/** The scope of a rollout restart: the pod template's restartedAt annotation alone. */
export const RESTART_SCOPE: DiffScope = { env: [], restartedAt: true };

/** What a server-side dry run (or the write) changed in the pod template, within the action's scope. */
export function deploymentDiff(
  before: DeploymentLike,
  after: DeploymentLike,
  containerName: string | undefined,
  scope: DiffScope,
): ActionDiffLine[] {
  const object = `Deployment ${before.metadata?.namespace ?? '?'}/${
    before.metadata?.name ?? '?'
  }`;
  const lines: ActionDiffLine[] = [];
  const a = containerOf(before, containerName);
  const b = containerOf(after, containerName);
  for (const name of scope.env) {
    const was = describeEnv(a.env?.find(e => e.name === name));
    const will = describeEnv(b.env?.find(e => e.name === name));
    if (was !== will) {
      lines.push({
        object,
        path: `spec.template.spec.containers[${a.name}].env[${name}]`,
        before: was,
        after: will,
      });
    }
  }
  const annotation = (d: DeploymentLike) =>
    d.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? null;
  if (scope.restartedAt && annotation(before) !== annotation(after)) {
    lines.push({
      object,
      path: `spec.template.metadata.annotations[${RESTARTED_AT_ANNOTATION}]`,
      before: annotation(before),
      after: annotation(after),
    });
  }
  return lines;
}

/** One line per diff entry, for logs and plain-text previews. */
export function renderDiff(lines: ActionDiffLine[]): string {
  return lines
    .map(
      l =>
        `${l.object}: ${l.path}: ${l.before ?? '(absent)'} -> ${
          l.after ?? '(absent)'
        }`,
    )
    .join('\n');
}
