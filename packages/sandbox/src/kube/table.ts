/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns
 * `kubectl get` shows, computed as the real API server's printers do.
 */
import { KubeObject } from './types';
import { ResourceInfo } from './resources';
import { formatLabelSelector } from './selectors';

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority?: number;
  cell: (o: KubeObject) => unknown;
}

/** duration.HumanDuration from apimachinery. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10)
    return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8)
    return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0
      ? `${hours / 24}d`
      : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8)
    return days % 365 === 0
      ? `${days / 365}y`
      : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

const since = (ts: string | undefined | null) =>
  ts ? humanDuration(Date.now() - Date.parse(ts)) : '<unknown>';

const nameCol: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  cell: o => o.metadata.name,
};
const ageCol: Column = {
  name: 'Age',
  type: 'string',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: o => since(o.metadata.creationTimestamp),
};

function podStatusReason(pod: KubeObject): string {
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  for (const c of pod.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function podRestarts(pod: KubeObject): string {
  let restarts = 0;
  let last: number | undefined;
  for (const c of pod.status?.containerStatuses ?? []) {
    restarts += c.restartCount ?? 0;
    const t = c.lastState?.terminated?.finishedAt;
    if (t) last = Math.max(last ?? 0, Date.parse(t));
  }
  return last !== undefined && restarts > 0
    ? `${restarts} (${humanDuration(Date.now() - last)} ago)`
    : String(restarts);
}

const containersOf = (o: KubeObject) =>
  (o.spec?.template?.spec?.containers ?? []) as any[];

/** Age, then the wide columns of a kind that owns a pod template (Deployment, ReplicaSet). */
const podTemplateColumns: Column[] = [
  ageCol,
  {
    name: 'Containers',
    type: 'string',
    priority: 1,
    description: 'Names of each container in the template.',
    cell: o =>
      containersOf(o)
        .map(c => c.name)
        .join(','),
  },
  {
    name: 'Images',
    type: 'string',
    priority: 1,
    description: 'Images referenced by each container in the template.',
    cell: o =>
      containersOf(o)
        .map(c => c.image)
        .join(','),
  },
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description: 'Label selector for pods.',
    cell: o => formatLabelSelector(o.spec?.selector),
  },
];

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    nameCol,
    {
      name: 'Ready',
      type: 'string',
      description:
        'The aggregate readiness state of this pod for accepting traffic.',
      cell: o => {
        const cs: any[] = o.status?.containerStatuses ?? [];
        return `${cs.filter(c => c.ready).length}/${
          (o.spec?.containers ?? []).length
        }`;
      },
    },
    {
      name: 'Status',
      type: 'string',
      description: 'The aggregate status of the containers in this pod.',
      cell: podStatusReason,
    },
    {
      name: 'Restarts',
      type: 'string',
      description:
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      cell: podRestarts,
    },
    ageCol,
    {
      name: 'IP',
      type: 'string',
      priority: 1,
      description:
        'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      cell: o => o.status?.podIP ?? '<none>',
    },
    {
      name: 'Node',
      type: 'string',
      priority: 1,
      description:
        'NodeName is a request to schedule this pod onto a specific node.',
      cell: o => o.spec?.nodeName ?? '<none>',
    },
    {
      name: 'Nominated Node',
      type: 'string',
      priority: 1,
      description:
        'nominatedNodeName is set only when this pod preempts other pods on the node.',
      cell: o => o.status?.nominatedNodeName ?? '<none>',
    },
    {
      name: 'Readiness Gates',
      type: 'string',
      priority: 1,
      description:
        'If specified, all readiness gates will be evaluated for pod readiness.',
      cell: () => '<none>',
    },
  ],
  Deployment: [
    nameCol,
    {
      name: 'Ready',
      type: 'string',
      description: 'Number of the pod with ready state',
      cell: o => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    },
    {
      name: 'Up-to-date',
      type: 'string',
      description:
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      cell: o => o.status?.updatedReplicas ?? 0,
    },
    {
      name: 'Available',
      type: 'string',
      description:
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      cell: o => o.status?.availableReplicas ?? 0,
    },
    ...podTemplateColumns,
  ],
  ReplicaSet: [
    nameCol,
    {
      name: 'Desired',
      type: 'integer',
      description: 'Replicas is the number of desired replicas.',
      cell: o => o.spec?.replicas ?? 0,
    },
    {
      name: 'Current',
      type: 'integer',
      description: 'Replicas is the most recently observed number of replicas.',
      cell: o => o.status?.replicas ?? 0,
    },
    {
      name: 'Ready',
      type: 'integer',
      description: 'The number of ready replicas for this replica set.',
      cell: o => o.status?.readyReplicas ?? 0,
    },
    ...podTemplateColumns,
  ],
  Secret: [
    nameCol,
    {
      name: 'Type',
      type: 'string',
      description: 'Used to facilitate programmatic handling of secret data.',
      cell: o => o.type ?? 'Opaque',
    },
    {
      name: 'Data',
      type: 'string',
      description: 'Data contains the secret data.',
      cell: o => Object.keys(o.data ?? {}).length,
    },
    ageCol,
  ],
  Node: [
    nameCol,
    {
      name: 'Status',
      type: 'string',
      description: 'The status of the node',
      cell: o =>
        (o.status?.conditions ?? []).find((c: any) => c.type === 'Ready')
          ?.status === 'True'
          ? 'Ready'
          : 'NotReady',
    },
    {
      name: 'Roles',
      type: 'string',
      description: 'The roles of the node',
      cell: o =>
        Object.keys(o.metadata.labels ?? {})
          .filter(k => k.startsWith('node-role.kubernetes.io/'))
          .map(k => k.slice('node-role.kubernetes.io/'.length))
          .join(',') || '<none>',
    },
    ageCol,
    {
      name: 'Version',
      type: 'string',
      description: 'Kubelet Version reported by the node.',
      cell: o => o.status?.nodeInfo?.kubeletVersion ?? '',
    },
  ],
  Namespace: [
    nameCol,
    {
      name: 'Status',
      type: 'string',
      description: 'The status of the namespace',
      cell: o => o.status?.phase ?? 'Active',
    },
    ageCol,
  ],
  Event: [
    {
      name: 'Last Seen',
      type: 'string',
      description: 'Time when last event occurred',
      cell: o =>
        since(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp),
    },
    {
      name: 'Type',
      type: 'string',
      description:
        'Type of this event (Normal, Warning), new types could be added in the future.',
      cell: o => o.type,
    },
    {
      name: 'Reason',
      type: 'string',
      description:
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      cell: o => o.reason,
    },
    {
      name: 'Object',
      type: 'string',
      description: 'The object that this event is about.',
      cell: o =>
        `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${
          o.involvedObject?.name
        }`,
    },
    {
      name: 'Subobject',
      type: 'string',
      priority: 1,
      description: 'The field of the object that this event is about.',
      cell: o => o.involvedObject?.fieldPath ?? '',
    },
    {
      name: 'Source',
      type: 'string',
      priority: 1,
      description: 'The component reporting this event.',
      cell: o =>
        [o.source?.component, o.source?.host].filter(Boolean).join(', '),
    },
    {
      name: 'Message',
      type: 'string',
      description:
        'A human-readable description of the status of this operation.',
      cell: o => o.message,
    },
    {
      name: 'First Seen',
      type: 'string',
      priority: 1,
      description: 'The time at which the event was first recorded.',
      cell: o => since(o.firstTimestamp ?? o.metadata.creationTimestamp),
    },
    {
      name: 'Count',
      type: 'string',
      priority: 1,
      description: 'The number of times this event has occurred.',
      cell: o => o.count ?? 1,
    },
    {
      name: 'Name',
      type: 'string',
      priority: 1,
      description: 'Name of the event.',
      cell: o => o.metadata.name,
    },
  ],
};

export interface TableOptions {
  /** `includeObject`: None, Metadata (default) or Object. */
  includeObject?: string;
  resourceVersion?: string;
  noHeaders?: boolean;
}

function rowObject(o: KubeObject, includeObject: string | undefined) {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return o;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: o.metadata,
  };
}

export function toTable(
  info: ResourceInfo,
  objects: KubeObject[],
  opts: TableOptions = {},
) {
  const columns = COLUMNS[info.kind] ?? [nameCol, ageCol];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: opts.resourceVersion ?? '' },
    ...(opts.noHeaders
      ? {}
      : {
          columnDefinitions: columns.map(c => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: c.description,
            priority: c.priority ?? 0,
          })),
        }),
    rows: objects.map(o => ({
      cells: columns.map(c => c.cell(o)),
      object: rowObject(o, opts.includeObject),
    })),
  };
}

/** Whether the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  const first = accept.split(',')[0];
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

/** Whether the Accept header asks for metadata only (`as=PartialObjectMetadata[List]`). */
export function wantsMetadataOnly(accept: string | undefined): boolean {
  if (!accept) return false;
  const first = accept.split(',')[0];
  return (
    /as=PartialObjectMetadata/.test(first) && /g=meta\.k8s\.io/.test(first)
  );
}

export function partialObjectMetadata(o: KubeObject) {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: o.metadata,
  };
}
