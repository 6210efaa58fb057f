/**
 * The API resources this server knows: what discovery lists and how a URL maps to a kind.
 * Resources marked `simulated` have controllers behind them; the others are plain stored
 * collections (empty unless someone creates objects), so clients such as the Backstage
 * Kubernetes plugin get `200 []` instead of `404`.
 */

export interface ResourceInfo {
  group: string; // '' for the core group
  version: string;
  /** Plural, as in URLs: 'deployments' */
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  subresources?: Array<{
    name: string;
    kind: string;
    verbs: string[];
    group?: string;
    version?: string;
  }>;
  simulated: boolean;
}

const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function r(
  group: string,
  version: string,
  name: string,
  kind: string,
  opts: Partial<ResourceInfo> = {},
): ResourceInfo {
  return {
    group,
    version,
    name,
    kind,
    singularName: kind.toLowerCase(),
    namespaced: true,
    verbs: ALL_VERBS,
    simulated: false,
    ...opts,
  };
}

export const RESOURCES: ResourceInfo[] = [
  // core/v1
  r('', 'v1', 'namespaces', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      { name: 'status', kind: 'Namespace', verbs: ['get', 'patch', 'update'] },
    ],
    simulated: true,
  }),
  r('', 'v1', 'pods', 'Pod', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ],
    simulated: true,
  }),
  r('', 'v1', 'secrets', 'Secret', { simulated: true }),
  r('', 'v1', 'events', 'Event', { shortNames: ['ev'], simulated: true }),
  r('', 'v1', 'services', 'Service', {
    shortNames: ['svc'],
    categories: ['all'],
  }),
  r('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  r('', 'v1', 'endpoints', 'Endpoints', {
    shortNames: ['ep'],
    singularName: 'endpoints',
  }),
  r('', 'v1', 'limitranges', 'LimitRange', { shortNames: ['limits'] }),
  r('', 'v1', 'resourcequotas', 'ResourceQuota', { shortNames: ['quota'] }),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', {
    shortNames: ['pvc'],
  }),
  r('', 'v1', 'replicationcontrollers', 'ReplicationController', {
    shortNames: ['rc'],
    categories: ['all'],
  }),
  r('', 'v1', 'nodes', 'Node', { namespaced: false, shortNames: ['no'] }),
  // apps/v1
  r('apps', 'v1', 'deployments', 'Deployment', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [
      {
        name: 'scale',
        kind: 'Scale',
        group: 'autoscaling',
        version: 'v1',
        verbs: ['get', 'patch', 'update'],
      },
      { name: 'status', kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
    ],
    simulated: true,
  }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [
      {
        name: 'scale',
        kind: 'Scale',
        group: 'autoscaling',
        version: 'v1',
        verbs: ['get', 'patch', 'update'],
      },
      { name: 'status', kind: 'ReplicaSet', verbs: ['get', 'patch', 'update'] },
    ],
    simulated: true,
  }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', {
    shortNames: ['sts'],
    categories: ['all'],
  }),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', {
    shortNames: ['ds'],
    categories: ['all'],
  }),
  r('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  // others the Backstage Kubernetes plugin asks for
  r(
    'autoscaling',
    'v2',
    'horizontalpodautoscalers',
    'HorizontalPodAutoscaler',
    {
      shortNames: ['hpa'],
      categories: ['all'],
    },
  ),
  r(
    'autoscaling',
    'v1',
    'horizontalpodautoscalers',
    'HorizontalPodAutoscaler',
    {
      shortNames: ['hpa'],
      categories: ['all'],
    },
  ),
  r('batch', 'v1', 'jobs', 'Job', { categories: ['all'] }),
  r('batch', 'v1', 'cronjobs', 'CronJob', {
    shortNames: ['cj'],
    categories: ['all'],
  }),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', { shortNames: ['ing'] }),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', {
    shortNames: ['netpol'],
  }),
  r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', {
    shortNames: ['pdb'],
  }),
  // usage of running pods, derived from the pods (for `kubectl top` and Backstage's pod metrics)
  r('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', {
    verbs: ['get', 'list'],
    simulated: true,
  }),
];

export function groupVersion(info: { group: string; version: string }): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** Groups in discovery order, each with its versions (preferred first). */
export function apiGroups(): Array<{ name: string; versions: string[] }> {
  const groups: Array<{ name: string; versions: string[] }> = [];
  for (const res of RESOURCES) {
    if (!res.group) continue;
    let g = groups.find(x => x.name === res.group);
    if (!g) {
      g = { name: res.group, versions: [] };
      groups.push(g);
    }
    if (!g.versions.includes(res.version)) g.versions.push(res.version);
  }
  return groups;
}

export function findResource(
  group: string,
  version: string,
  name: string,
): ResourceInfo | undefined {
  return RESOURCES.find(
    x => x.group === group && x.version === version && x.name === name,
  );
}

/**
 * Accepts 'Deployment', 'deployment', 'deployments', 'deploy', 'apps/v1/deployments'.
 * Used by the store's in-process API, where callers name kinds loosely.
 */
export function resolveKind(kindOrResource: string): ResourceInfo | undefined {
  const k = kindOrResource.toLowerCase().split('/').pop()!;
  // core kinds win over same-named resources of other groups (pods vs metrics' pods)
  return RESOURCES.find(
    x =>
      x.kind.toLowerCase() === k ||
      x.name === k ||
      x.singularName === k ||
      (x.shortNames ?? []).includes(k),
  );
}

/** The store keys objects by kind (kinds are unique across the groups served here). */
export function storageKey(info: { group: string; kind: string }): string {
  return info.kind;
}

export function apiVersionOf(info: ResourceInfo): string {
  return groupVersion(info);
}

/** `deployments.apps`, as real error messages name resources. */
export function qualifiedName(info: ResourceInfo): string {
  return info.group ? `${info.name}.${info.group}` : info.name;
}
