/**
 * What the API server does to an object before storing it: defaulting (as the real defaulters
 * do for the fields kubectl shows) and validation, answered as 400/422 like the real one.
 */
import { KubeObject } from './types';
import { ResourceInfo } from './resources';
import { badRequest, invalid } from './errors';
import { matchesLabels, requirementsFromLabelSelector } from './selectors';

const NAME_RE =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function defaultAndValidate(info: ResourceInfo, obj: KubeObject) {
  const name = obj.metadata.name;
  const causes: Array<{ field: string; message: string; reason?: string }> = [];
  if (!name) {
    causes.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired',
    });
  } else if (!NAME_RE.test(name) || name.length > 253) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  if (info.kind === 'Namespace') {
    obj.metadata.labels = {
      ...(obj.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': name,
    };
    obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
    obj.status = obj.status?.phase ? obj.status : { phase: 'Active' };
  }
  if (info.kind === 'Secret') {
    obj.type = obj.type ?? 'Opaque';
    const data: Record<string, string> = { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(data)) {
      if (
        typeof v !== 'string' ||
        !/^[A-Za-z0-9+/]*={0,2}$/.test(v) ||
        v.length % 4 !== 0
      ) {
        throw badRequest(
          `illegal base64 data at input byte 0 in data[${JSON.stringify(k)}]`,
        );
      }
    }
    for (const [k, v] of Object.entries(
      (obj.stringData ?? {}) as Record<string, string>,
    )) {
      data[k] = Buffer.from(String(v)).toString('base64');
    }
    delete obj.stringData;
    obj.data = data;
    for (const k of Object.keys(data)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k))
        causes.push({
          field: `data[${k}]`,
          message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
        });
    }
  }
  if (info.kind === 'Deployment' || info.kind === 'ReplicaSet') {
    const spec = (obj.spec = obj.spec ?? {});
    spec.replicas = spec.replicas ?? 1;
    if (typeof spec.replicas !== 'number' || spec.replicas < 0) {
      causes.push({
        field: 'spec.replicas',
        message: `Invalid value: ${JSON.stringify(
          spec.replicas,
        )}: must be greater than or equal to 0`,
      });
    }
    spec.revisionHistoryLimit = spec.revisionHistoryLimit ?? 10;
    if (info.kind === 'Deployment') {
      spec.progressDeadlineSeconds = spec.progressDeadlineSeconds ?? 600;
      spec.strategy = spec.strategy ?? { type: 'RollingUpdate' };
      if ((spec.strategy.type ?? 'RollingUpdate') === 'RollingUpdate') {
        spec.strategy.type = 'RollingUpdate';
        spec.strategy.rollingUpdate = {
          maxUnavailable: '25%',
          maxSurge: '25%',
          ...(spec.strategy.rollingUpdate ?? {}),
        };
      }
    }
    if (
      !spec.selector ||
      (!spec.selector.matchLabels && !spec.selector.matchExpressions)
    ) {
      causes.push({
        field: 'spec.selector',
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    } else if (
      !matchesLabels(
        spec.template?.metadata?.labels,
        requirementsFromLabelSelector(spec.selector),
      )
    ) {
      causes.push({
        field: 'spec.template.metadata.labels',
        message: `Invalid value: ${JSON.stringify(
          spec.template?.metadata?.labels ?? {},
        )}: \`selector\` does not match template \`labels\``,
      });
    }
    if (spec.template)
      defaultPodSpec(
        (spec.template.spec = spec.template.spec ?? {}),
        'spec.template.spec',
        causes,
      );
    else
      causes.push({
        field: 'spec.template',
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
  }
  if (info.kind === 'Pod')
    defaultPodSpec((obj.spec = obj.spec ?? {}), 'spec', causes);
  if (causes.length) throw invalid(info, name ?? '', causes);
}

function defaultPodSpec(
  spec: any,
  path: string,
  causes: Array<{ field: string; message: string; reason?: string }>,
) {
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    causes.push({
      field: `${path}.containers`,
      message: 'Required value',
      reason: 'FieldValueRequired',
    });
    return;
  }
  spec.restartPolicy = spec.restartPolicy ?? 'Always';
  spec.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds ?? 30;
  spec.dnsPolicy = spec.dnsPolicy ?? 'ClusterFirst';
  spec.securityContext = spec.securityContext ?? {};
  spec.schedulerName = spec.schedulerName ?? 'default-scheduler';
  spec.containers.forEach((c: any, i: number) => {
    if (!c.name)
      causes.push({
        field: `${path}.containers[${i}].name`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    if (!c.image)
      causes.push({
        field: `${path}.containers[${i}].image`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    c.terminationMessagePath =
      c.terminationMessagePath ?? '/dev/termination-log';
    c.terminationMessagePolicy = c.terminationMessagePolicy ?? 'File';
    const tag =
      String(c.image ?? '')
        .split('/')
        .pop() ?? '';
    c.imagePullPolicy =
      c.imagePullPolicy ??
      (!tag.includes(':') || tag.endsWith(':latest')
        ? 'Always'
        : 'IfNotPresent');
    c.resources = c.resources ?? {};
    for (const p of c.ports ?? []) p.protocol = p.protocol ?? 'TCP';
    (c.env ?? []).forEach((e: any, j: number) => {
      if (!e?.name)
        causes.push({
          field: `${path}.containers[${i}].env[${j}].name`,
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
    });
  });
}
