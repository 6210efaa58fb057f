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

/** `scale` and `status`: the subresources of the kinds a controller scales. */
const scalable = (kind: string): ResourceInfo['subresources'] => [
  {
    name: 'scale',
    kind: 'Scale',
    group: 'autoscaling',
    version: 'v1',
    verbs: ['get', 'patch', 'update'],
  },
  { name: 'status', kind, verbs: ['get', 'patch', 'update'] },
];

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

/** Listed by `kubectl get all`. */
const IN_ALL: Partial<ResourceInfo> = { categories: ['all'] };
const CLUSTER_SCOPED: Partial<ResourceInfo> = { namespaced: false };

/** One resource, as `kubectl api-resources` lists it: group, version, plural, kind, short name. */
function r(
  group: string,
  version: string,
  name: string,
  kind: string,
  shortName?: string,
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
    ...(shortName ? { shortNames: [shortName] } : {}),
    ...opts,
  };
}

export const RESOURCES: ResourceInfo[] = [
  // core/v1
  r('', 'v1', 'namespaces', 'Namespace', 'ns', {
    ...CLUSTER_SCOPED,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      { name: 'status', kind: 'Namespace', verbs: ['get', 'patch', 'update'] },
    ],
    simulated: true,
  }),
  r('', 'v1', 'pods', 'Pod', 'po', {
    ...IN_ALL,
    subresources: [
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ],
    simulated: true,
  }),
  r('', 'v1', 'secrets', 'Secret', undefined, { simulated: true }),
  r('', 'v1', 'events', 'Event', 'ev', { simulated: true }),
  r('', 'v1', 'services', 'Service', 'svc', IN_ALL),
  r('', 'v1', 'configmaps', 'ConfigMap', 'cm'),
  r('', 'v1', 'endpoints', 'Endpoints', 'ep', { singularName: 'endpoints' }),
  r('', 'v1', 'limitranges', 'LimitRange', 'limits'),
  r('', 'v1', 'resourcequotas', 'ResourceQuota', 'quota'),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', 'sa'),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', 'pvc'),
  r('', 'v1', 'replicationcontrollers', 'ReplicationController', 'rc', IN_ALL),
  r('', 'v1', 'nodes', 'Node', 'no', CLUSTER_SCOPED),
  // apps/v1
  r('apps', 'v1', 'deployments', 'Deployment', 'deploy', {
    ...IN_ALL,
    subresources: scalable('Deployment'),
    simulated: true,
  }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', 'rs', {
    ...IN_ALL,
    subresources: scalable('ReplicaSet'),
    simulated: true,
  }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', 'sts', IN_ALL),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', 'ds', IN_ALL),
  r('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  // others the Backstage Kubernetes plugin asks for; HPAs are served at v2 (preferred) and v1,
  // one stored object for both
  ...['v2', 'v1'].map(version =>
    r(
      'autoscaling',
      version,
      'horizontalpodautoscalers',
      'HorizontalPodAutoscaler',
      'hpa',
      IN_ALL,
    ),
  ),
  r('batch', 'v1', 'jobs', 'Job', undefined, IN_ALL),
  r('batch', 'v1', 'cronjobs', 'CronJob', 'cj', IN_ALL),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', 'ing'),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', 'netpol'),
  r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', 'pdb'),
  // usage of running pods, derived from the pods (for `kubectl top` and Backstage's pod metrics)
  r('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', undefined, {
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

/** `resolveKind`, for callers inside the sandbox that name a kind this server must know. */
export function requireKind(kindOrResource: string): ResourceInfo {
  const info = resolveKind(kindOrResource);
  if (!info) throw new Error(`unknown kind ${kindOrResource}`);
  return info;
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
