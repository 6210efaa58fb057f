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

/** What a server-side dry run says would change in the pod template: env of the container, annotations. */
export function deploymentDiff(
  before: DeploymentLike,
  after: DeploymentLike,
  containerName: string | undefined,
): ActionDiffLine[] {
  const object = `Deployment ${before.metadata?.namespace ?? '?'}/${
    before.metadata?.name ?? '?'
  }`;
  const lines: ActionDiffLine[] = [];
  const a = containerOf(before, containerName);
  const b = containerOf(after, containerName);
  const names = new Set([...(a.env ?? []), ...(b.env ?? [])].map(e => e.name));
  for (const name of names) {
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
  const wasAt =
    before.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ??
    null;
  const willAt =
    after.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ??
    null;
  if (wasAt !== willAt) {
    lines.push({
      object,
      path: `spec.template.metadata.annotations[${RESTARTED_AT_ANNOTATION}]`,
      before: wasAt,
      after: willAt,
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
