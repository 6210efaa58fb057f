/**
 * An in-memory Kubernetes cluster: the object store behind the simulated API server, plus the
 * controllers that make it behave (Deployment -> ReplicaSet -> Pod, rolling updates, crash loops).
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import {
  DeploymentFault,
  KubeObject,
  KubeSeed,
  KubeStore,
  KubeWriteRecord,
  StartedPod,
} from './types';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  notFound,
} from './errors';
import { defaultAndValidate } from './defaults';
import { ObjectTable, StoredEvent, WatchEventType, deepClone } from './objects';
import { LogQuery, PodLogs } from './logs';
import { PatchType, applyPatchOfType } from './patch';
import {
  FieldRequirement,
  Requirement,
  formatLabelSelector,
  matchesFields,
  matchesLabels,
  requirementsFromMap,
} from './selectors';
import {
  ResourceInfo,
  apiVersionOf,
  resolveKind,
  storageKey,
} from './resources';

export interface InMemoryKubeStoreOptions {
  /** Time between rollout steps (a new pod becoming ready, an old one going). Default 1500 ms. */
  rolloutStepMs?: number;
  /** Time between restarts of a crash-looping container. Default 4000 ms. */
  crashLoopIntervalMs?: number;
  /** Node name shown on pods. */
  nodeName?: string;
}

type PodPhase = 'pending' | 'ready' | 'crashing' | 'terminating' | 'blocked';

interface PodRuntime {
  state: PodPhase;
  /** When the next transition is due (ms epoch). */
  dueAt?: number;
  deployment: string;
  env?: Record<string, string>;
}

export interface ListOptions {
  labelSelector?: Requirement[];
  fieldSelector?: FieldRequirement[];
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: string;
}

const MAX_WRITES = 2000;
const MAX_EVENTS = 1000;
const SIMULATED_STATUS_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'Pod',
  'Namespace',
  'Node',
]);
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map(k => `${JSON.stringify(k)}:${stableStringify((v as any)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Nulls decode to zero values (and vanish) in the real API server: `creationTimestamp: null` ... */
function pruneNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(pruneNulls) as unknown as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as object))
      if (val !== null) out[k] = pruneNulls(val);
    return out as T;
  }
  return v;
}

function safeEncode(bytes: Buffer, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++)
    s += SAFE_ALPHABET[bytes[i] % SAFE_ALPHABET.length];
  return s;
}

const randomSuffix = () => safeEncode(randomBytes(5), 5);

function templateHash(template: unknown): string {
  return safeEncode(
    createHash('sha256').update(stableStringify(template)).digest(),
    10,
  );
}

/** `25%` or `1` against a total, rounded like the controller does. */
function intOrPercent(
  v: unknown,
  total: number,
  roundUp: boolean,
  fallback: string,
): number {
  const raw = v === undefined || v === null ? fallback : v;
  if (typeof raw === 'number') return raw;
  const m = String(raw).match(/^(\d+)%$/);
  if (m) {
    const x = (Number(m[1]) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return Number(raw) || 0;
}

/** Mask Secret values in a recorded request body (data, stringData, JSON-patch values). */
export function maskSecretValues(body: unknown): unknown {
  const mask = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      return v.map(op =>
        op && typeof op === 'object' && 'op' in op && 'value' in op
          ? { ...op, value: '***' }
          : mask(op),
      );
    }
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as object)) {
      if (
        (k === 'data' || k === 'stringData') &&
        val &&
        typeof val === 'object'
      ) {
        out[k] = Object.fromEntries(
          Object.keys(val as object).map(key => [key, '***']),
        );
      } else if (k === 'kubectl.kubernetes.io/last-applied-configuration') {
        out[k] = '***';
      } else out[k] = mask(val);
    }
    return out;
  };
  return mask(body);
}

export class InMemoryKubeStore implements KubeStore {
  readonly rolloutStepMs: number;
  readonly crashLoopIntervalMs: number;
  private readonly nodeName: string;
  readonly objects = new ObjectTable();
  readonly logs = new PodLogs();
  private readonly runtime = new Map<string, PodRuntime>();
  private readonly faults = new Map<string, DeploymentFault>();
  private readonly startedListeners = new Set<(p: StartedPod) => void>();
  private readonly stoppedListeners = new Set<
    (p: { namespace: string; name: string; deployment: string }) => void
  >();
  private writeLog: KubeWriteRecord[] = [];
  private timer?: NodeJS.Timeout;
  private timerDueAt = Infinity;
  private closed = false;
  /** During reset: pods become ready and go at once. */
  private instant = false;

  constructor(options: InMemoryKubeStoreOptions = {}) {
    this.rolloutStepMs = options.rolloutStepMs ?? 1500;
    this.crashLoopIntervalMs = options.crashLoopIntervalMs ?? 4000;
    this.nodeName = options.nodeName ?? 'sandbox-node-1';
  }

  // ---------------------------------------------------------------- KubeStore

  reset(seed: KubeSeed): void {
    this.clearTimer();
    // the old world goes away visibly: its running pods stop, watchers see every object deleted
    for (const [key, rt] of this.runtime) {
      if (rt.state !== 'ready') continue;
      const [ns, name] = key.split('/');
      this.firePodStopped(ns, name, rt.deployment);
    }
    this.objects.removeAll();
    this.logs.clear();
    this.runtime.clear();
    this.faults.clear();
    // writes() survive a reset: they are evidence of what clients did (clearWrites() empties them)
    this.instant = true;
    try {
      this.createInternal('Node', '', this.nodeObject());
      for (const ns of new Set(['default', ...seed.namespaces]))
        this.createInternal('Namespace', '', { metadata: { name: ns } });
      for (const s of seed.secrets) {
        this.createInternal('Secret', s.namespace, {
          metadata: { name: s.name },
          type: 'Opaque',
          data: Object.fromEntries(
            Object.entries(s.data).map(([k, v]) => [
              k,
              Buffer.from(v).toString('base64'),
            ]),
          ),
        });
      }
      for (const d of seed.deployments) {
        const labels = {
          app: d.name,
          'backstage.io/kubernetes-id': d.name,
          ...(d.labels ?? {}),
        };
        this.createInternal('Deployment', d.namespace, {
          metadata: { name: d.name, labels },
          spec: {
            replicas: d.replicas,
            selector: { matchLabels: { app: d.name } },
            template: {
              metadata: { labels },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: d.image,
                    ports: [
                      { containerPort: 8080, name: 'http', protocol: 'TCP' },
                    ],
                    env: d.env,
                  },
                ],
              },
            },
          },
        });
      }
      for (let i = 0; i < 20 && this.tick(); i++);
    } finally {
      this.instant = false;
    }
  }

  /** The one node every pod runs on (for `kubectl get nodes` and `describe pod`). */
  private nodeObject() {
    const ts = nowIso();
    const cond = (
      type: string,
      status: string,
      reason: string,
      message: string,
    ) => ({
      type,
      status,
      lastHeartbeatTime: ts,
      lastTransitionTime: ts,
      reason,
      message,
    });
    return {
      metadata: {
        name: this.nodeName,
        labels: {
          'kubernetes.io/hostname': this.nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node-role.kubernetes.io/worker': '',
        },
      },
      spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
      status: {
        capacity: { cpu: '8', memory: '32803444Ki', pods: '110' },
        allocatable: { cpu: '8', memory: '32701044Ki', pods: '110' },
        conditions: [
          cond(
            'MemoryPressure',
            'False',
            'KubeletHasSufficientMemory',
            'kubelet has sufficient memory available',
          ),
          cond(
            'DiskPressure',
            'False',
            'KubeletHasNoDiskPressure',
            'kubelet has no disk pressure',
          ),
          cond(
            'PIDPressure',
            'False',
            'KubeletHasSufficientPID',
            'kubelet has sufficient PID available',
          ),
          cond(
            'Ready',
            'True',
            'KubeletReady',
            'kubelet is posting ready status',
          ),
        ],
        addresses: [
          { type: 'InternalIP', address: '10.0.0.10' },
          { type: 'Hostname', address: this.nodeName },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.32.0',
          kubeProxyVersion: 'v1.32.0',
          containerRuntimeVersion: 'containerd://1.7.24',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.1.0-sandbox',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    };
  }

  getObject(
    kind: string,
    namespace: string,
    name: string,
  ): KubeObject | undefined {
    const info = this.info(kind);
    const o = this.objects.get(
      storageKey(info),
      info.namespaced ? namespace : '',
      name,
    );
    return o ? deepClone(o) : undefined;
  }

  listObjects(
    kind: string,
    namespace: string,
    labelSelector?: Record<string, string>,
  ): KubeObject[] {
    const info = this.info(kind);
    return this.list(info, namespace || undefined, {
      labelSelector: requirementsFromMap(labelSelector),
    }).items;
  }

  getSecretData(
    namespace: string,
    name: string,
  ): Record<string, string> | undefined {
    const s = this.objects.get('Secret', namespace, name);
    if (!s) return undefined;
    return Object.fromEntries(
      Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString('utf8'),
      ]),
    );
  }

  setSecretData(
    namespace: string,
    name: string,
    data: Record<string, string>,
  ): void {
    const existing = this.objects.get('Secret', namespace, name);
    const encoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [
        k,
        Buffer.from(v).toString('base64'),
      ]),
    );
    if (existing)
      this.objects.put('Secret', { ...deepClone(existing), data: encoded });
    else
      this.createInternal('Secret', namespace, {
        metadata: { name },
        type: 'Opaque',
        data: encoded,
      });
  }

  setDeploymentFault(
    namespace: string,
    deployment: string,
    fault: DeploymentFault,
  ): void {
    const key = `${namespace}/${deployment}`;
    if (fault) this.faults.set(key, fault);
    else this.faults.delete(key);
    const now = Date.now();
    for (const pod of this.objects.list('Pod', namespace)) {
      const rt = this.runtime.get(`${namespace}/${pod.metadata.name}`);
      if (!rt || rt.deployment !== deployment) continue;
      if (fault === 'crashloop' && rt.state === 'ready')
        this.crashPod(pod, rt, now);
      if (!fault && rt.state === 'crashing') {
        rt.state = 'pending';
        rt.dueAt = now + Math.min(this.rolloutStepMs, 1000);
      }
    }
    this.schedule(0);
  }

  appendPodLog(
    namespace: string,
    pod: string,
    line: string,
    time?: Date,
  ): void {
    const p = this.objects.get('Pod', namespace, pod);
    const container = p?.spec?.containers?.[0]?.name ?? 'app';
    this.logs.append(`${namespace}/${pod}`, container, line, time);
  }

  addEvent(
    namespace: string,
    event: {
      involvedObject: { kind: string; name: string };
      type: 'Normal' | 'Warning';
      reason: string;
      message: string;
    },
  ): void {
    this.recordEvent(
      namespace,
      event.involvedObject.kind,
      event.involvedObject.name,
      event.type,
      event.reason,
      event.message,
    );
  }

  onPodStarted(listener: (pod: StartedPod) => void): () => void {
    this.startedListeners.add(listener);
    return () => this.startedListeners.delete(listener);
  }

  onPodStopped(
    listener: (pod: {
      namespace: string;
      name: string;
      deployment: string;
    }) => void,
  ): () => void {
    this.stoppedListeners.add(listener);
    return () => this.stoppedListeners.delete(listener);
  }

  runningPods(namespace: string, deployment: string): StartedPod[] {
    const out: StartedPod[] = [];
    for (const pod of this.objects.list('Pod', namespace)) {
      const rt = this.runtime.get(`${namespace}/${pod.metadata.name}`);
      if (rt?.state === 'ready' && rt.deployment === deployment) {
        out.push({
          namespace,
          name: pod.metadata.name,
          deployment,
          env: { ...(rt.env ?? {}) },
        });
      }
    }
    return out;
  }

  writes(): KubeWriteRecord[] {
    return deepClone(this.writeLog);
  }

  clearWrites(): void {
    this.writeLog = [];
  }

  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  // ------------------------------------------------------------- for the API server

  recordWrite(record: Omit<KubeWriteRecord, 'at'>) {
    const body =
      record.resource === 'secrets'
        ? maskSecretValues(record.body)
        : record.body;
    this.writeLog.push({
      at: new Date().toISOString(),
      ...record,
      body: deepClone(body ?? null),
    });
    if (this.writeLog.length > MAX_WRITES)
      this.writeLog.splice(0, this.writeLog.length - MAX_WRITES);
  }

  get resourceVersion(): string {
    return this.objects.resourceVersion;
  }

  /** Usage of a running pod: steady, plausible numbers derived from its name. */
  private podMetrics(pod: KubeObject): KubeObject | undefined {
    const rt = this.runtime.get(
      `${pod.metadata.namespace}/${pod.metadata.name}`,
    );
    if (rt?.state !== 'ready') return undefined;
    const seed = createHash('sha256').update(pod.metadata.name).digest();
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        creationTimestamp: nowIso(),
        labels: pod.metadata.labels,
      },
      timestamp: nowIso(),
      window: '15s',
      containers: (pod.spec?.containers ?? []).map((c: any, i: number) => ({
        name: c.name,
        usage: {
          cpu: `${(20 + seed[i % 32] * 3) * 1_000_000}n`,
          memory: `${(96 + seed[(i + 7) % 32]) * 1024}Ki`,
        },
      })),
    };
  }

  get(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    if (info.kind === 'PodMetrics') {
      const pod = this.objects.get('Pod', namespace ?? '', name);
      const m = pod && this.podMetrics(pod);
      if (!m) throw notFound(info, name);
      return m;
    }
    const o = this.objects.get(
      storageKey(info),
      info.namespaced ? namespace ?? '' : '',
      name,
    );
    if (!o) throw notFound(info, name);
    return deepClone(o);
  }

  list(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: ListOptions = {},
  ) {
    if (info.kind === 'PodMetrics') {
      const items = this.objects
        .list('Pod', namespace)
        .map(p => this.podMetrics(p))
        .filter((m): m is KubeObject => !!m && this.matches(m, opts));
      return { items, resourceVersion: this.objects.resourceVersion };
    }
    const items = this.objects
      .list(storageKey(info), info.namespaced ? namespace : undefined)
      .filter(o => this.matches(o, opts))
      .map(o => this.withApiVersion(info, deepClone(o)));
    return { items, resourceVersion: this.objects.resourceVersion };
  }

  private matches(o: KubeObject, opts: ListOptions) {
    return (
      (!opts.labelSelector ||
        matchesLabels(o.metadata.labels, opts.labelSelector)) &&
      (!opts.fieldSelector || matchesFields(o, opts.fieldSelector))
    );
  }

  private withApiVersion(info: ResourceInfo, o: KubeObject): KubeObject {
    // HPAs are stored once and served at autoscaling/v1 and v2
    if (o.apiVersion !== apiVersionOf(info)) o.apiVersion = apiVersionOf(info);
    return o;
  }

  /**
   * Watch a collection. Without `sinceRv` (or with 0), every current object arrives as ADDED
   * first; otherwise the history after `sinceRv` is replayed. 410 Gone when it is too old.
   */
  watch(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: ListOptions & { name?: string },
    sinceRv: number | undefined,
    send: (type: WatchEventType, object: KubeObject) => void,
  ): () => void {
    const kind = storageKey(info);
    const relevant = (o: KubeObject) =>
      (!info.namespaced || !namespace || o.metadata.namespace === namespace) &&
      (!opts.name || o.metadata.name === opts.name) &&
      this.matches(o, opts);
    if (
      sinceRv !== undefined &&
      sinceRv !== 0 &&
      sinceRv < this.objects.oldestWatchable
    ) {
      throw new ApiError(
        410,
        'Expired',
        `too old resource version: ${sinceRv} (${this.objects.oldestWatchable})`,
      );
    }
    const deliver = (e: StoredEvent) => {
      if (e.kind === kind && relevant(e.object))
        send(e.type, this.withApiVersion(info, deepClone(e.object)));
    };
    if (!sinceRv) {
      for (const o of this.objects.list(
        kind,
        info.namespaced ? namespace : undefined,
      )) {
        if (relevant(o)) send('ADDED', this.withApiVersion(info, deepClone(o)));
      }
    } else {
      for (const e of this.objects.eventsSince(sinceRv)) deliver(e);
    }
    return this.objects.subscribe(deliver);
  }

  create(
    info: ResourceInfo,
    namespace: string | undefined,
    body: any,
    opts: WriteOptions = {},
  ): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('the body of the request was in an unknown format');
    const ns = info.namespaced
      ? namespace ?? body.metadata?.namespace ?? 'default'
      : '';
    if (
      info.namespaced &&
      body.metadata?.namespace &&
      body.metadata.namespace !== ns
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const obj = deepClone(body);
    obj.metadata = obj.metadata ?? {};
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    if (info.namespaced && !this.objects.get('Namespace', '', ns)) {
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, {
        name: ns,
        kind: 'namespaces',
      });
    }
    if (
      obj.metadata.name &&
      this.objects.get(storageKey(info), ns, obj.metadata.name)
    )
      throw alreadyExists(info, obj.metadata.name);
    return this.createInternal(info.kind, ns, obj, opts.dryRun);
  }

  update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: any,
    opts: WriteOptions = {},
  ): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('the body of the request was in an unknown format');
    const ns = info.namespaced ? namespace ?? 'default' : '';
    const current = this.objects.get(storageKey(info), ns, name);
    if (!current) {
      if (opts.subresource) throw notFound(info, name);
      // PUT creates when the object does not exist (as for most built-in kinds)
      return this.create(
        info,
        ns,
        { ...body, metadata: { ...(body.metadata ?? {}), name } },
        opts,
      );
    }
    if (body.metadata?.name && body.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion)
      throw conflict(info, name);
    return this.applyUpdate(info, current, deepClone(body), opts);
  }

  patch(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    opts: WriteOptions = {},
  ): KubeObject {
    const ns = info.namespaced ? namespace ?? 'default' : '';
    const current = this.objects.get(storageKey(info), ns, name);
    if (!current) throw notFound(info, name);
    const patched = applyPatchOfType(type, deepClone(current), body) as any;
    if (!patched || typeof patched !== 'object' || !patched.metadata)
      throw badRequest('patch produced an invalid object');
    if (patched.metadata.name !== name)
      throw badRequest('metadata.name may not be changed by a patch');
    const rv = patched.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion)
      throw conflict(info, name);
    return this.applyUpdate(info, current, patched, opts);
  }

  delete(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    opts: WriteOptions = {},
  ): KubeObject {
    const ns = info.namespaced ? namespace ?? 'default' : '';
    const kind = storageKey(info);
    const current = this.objects.get(kind, ns, name);
    if (!current) throw notFound(info, name);
    if (opts.dryRun) return deepClone(current);
    if (info.kind === 'Pod') {
      this.terminatePod(current, Date.now());
      this.schedule(0);
      return deepClone(this.objects.get('Pod', ns, name) ?? current);
    }
    if (info.kind === 'Namespace') {
      for (const k of ['Deployment', 'ReplicaSet', 'Pod', 'Secret', 'Event']) {
        for (const o of this.objects.list(k, name)) this.removeObject(k, o);
      }
    }
    this.removeObject(kind, current);
    // garbage collection: dependents go with their owner
    this.collectOrphans();
    this.schedule(0);
    return deepClone(current);
  }

  scaleOf(info: ResourceInfo, namespace: string, name: string): KubeObject {
    const o = this.get(info, namespace, name);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name,
        namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: o.spec?.replicas ?? 1 },
      status: {
        replicas: o.status?.replicas ?? 0,
        selector: formatLabelSelector(o.spec?.selector).replace('<none>', ''),
      },
    };
  }

  readLog(
    namespace: string,
    podName: string,
    container: string | undefined,
    q: LogQuery,
  ): string {
    const podInfo = resolveKind('Pod')!;
    const pod = this.get(podInfo, namespace, podName);
    const c = this.logContainer(pod, container);
    if (!c) {
      throw badRequest(
        `container ${container} is not valid for pod ${podName}`,
      );
    }
    const key = `${namespace}/${podName}`;
    if (q.previous && !this.logs.hasPrevious(key, c)) {
      throw badRequest(
        `previous terminated container "${c}" in pod "${podName}" not found`,
      );
    }
    // a container that never ran has no log yet (a crash-looping one shows its last instance)
    const waiting = (pod.status?.containerStatuses ?? []).find(
      (s: any) => s.name === c,
    )?.state?.waiting?.reason;
    if (
      !q.previous &&
      ['ContainerCreating', 'CreateContainerConfigError'].includes(waiting) &&
      !this.logs.hasPrevious(key, c)
    ) {
      throw badRequest(
        `container "${c}" in pod "${podName}" is waiting to start: ${waiting}`,
      );
    }
    return this.logs.read(key, c, q);
  }

  logContainer(
    pod: KubeObject,
    container: string | undefined,
  ): string | undefined {
    const names: string[] = (pod.spec?.containers ?? []).map(
      (c: any) => c.name,
    );
    if (!container) return names[0];
    return names.includes(container) ? container : undefined;
  }

  // ------------------------------------------------------------- writes

  private info(kind: string): ResourceInfo {
    const info = resolveKind(kind);
    if (!info) throw new Error(`unknown kind ${kind}`);
    return info;
  }

  /** Defaults, validation and bookkeeping for a new object, then store it (unless dry run). */
  private createInternal(
    kind: string,
    namespace: string,
    body: any,
    dryRun = false,
  ): KubeObject {
    const info = this.info(kind);
    const obj: KubeObject = pruneNulls(deepClone(body));
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    obj.metadata = {
      ...obj.metadata,
      ...(info.namespaced ? { namespace } : {}),
    };
    if (!info.namespaced) delete obj.metadata.namespace;
    delete obj.metadata.resourceVersion;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = nowIso();
    defaultAndValidate(info, obj);
    if (['Deployment', 'ReplicaSet'].includes(info.kind))
      obj.metadata.generation = 1;
    if (info.kind === 'Deployment' || info.kind === 'ReplicaSet')
      obj.status = obj.status ?? {};
    if (dryRun) return obj;
    const stored = this.objects.put(storageKey(info), obj);
    if (
      info.kind === 'Pod' &&
      !this.runtime.has(`${namespace}/${obj.metadata.name}`)
    ) {
      // a bare pod created through the API: it starts like any other
      this.objects.put('Pod', this.pendingPodStatus(stored));
      this.runtime.set(`${namespace}/${obj.metadata.name}`, {
        state: 'pending',
        dueAt: Date.now() + (this.instant ? 0 : this.rolloutStepMs),
        deployment: '',
      });
    }
    this.schedule(0);
    return deepClone(stored);
  }

  private applyUpdate(
    info: ResourceInfo,
    current: KubeObject,
    next: any,
    opts: WriteOptions,
  ): KubeObject {
    const obj: KubeObject = pruneNulls(next);
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    // immutable metadata
    obj.metadata = {
      ...obj.metadata,
      name: current.metadata.name,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      ...(current.metadata.namespace
        ? { namespace: current.metadata.namespace }
        : {}),
    };
    if (current.metadata.deletionTimestamp)
      obj.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
    if (current.metadata.generation !== undefined)
      obj.metadata.generation = current.metadata.generation;
    if (SIMULATED_STATUS_KINDS.has(info.kind)) {
      if (opts.subresource === 'status') {
        obj.spec = deepClone(current.spec);
        obj.metadata = deepClone(current.metadata);
      } else if (current.status !== undefined)
        obj.status = deepClone(current.status);
      else delete obj.status;
    }
    if (info.kind === 'Pod' && opts.subresource !== 'status') {
      // pod specs are (nearly) immutable: only images may change; keep the rest as it was
      const images = (obj.spec?.containers ?? []).map((c: any) => c.image);
      obj.spec = deepClone(current.spec);
      obj.spec.containers.forEach((c: any, i: number) => {
        if (images[i]) c.image = images[i];
      });
    }
    defaultAndValidate(info, obj);
    if (
      obj.metadata.generation !== undefined &&
      stableStringify(obj.spec) !== stableStringify(current.spec)
    ) {
      obj.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    const unchanged =
      stableStringify({
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: undefined },
      }) ===
      stableStringify({
        ...current,
        metadata: { ...current.metadata, resourceVersion: undefined },
      });
    if (opts.dryRun || unchanged)
      return deepClone(
        unchanged
          ? current
          : {
              ...obj,
              metadata: {
                ...obj.metadata,
                resourceVersion: current.metadata.resourceVersion,
              },
            },
      );
    const stored = this.objects.put(storageKey(info), obj);
    this.schedule(0);
    return deepClone(stored);
  }

  private removeObject(kind: string, obj: KubeObject) {
    const ns = obj.metadata.namespace ?? '';
    this.objects.remove(kind, ns, obj.metadata.name);
    if (kind === 'Pod') {
      const key = `${ns}/${obj.metadata.name}`;
      const rt = this.runtime.get(key);
      if (rt?.state === 'ready')
        this.firePodStopped(ns, obj.metadata.name, rt.deployment);
      this.runtime.delete(key);
      this.logs.remove(key);
    }
  }

  private collectOrphans() {
    for (const kind of ['ReplicaSet', 'Pod']) {
      for (const o of this.objects.list(kind)) {
        const owner = (o.metadata.ownerReferences ?? []).find(
          (r: any) => r.controller,
        );
        if (!owner) continue;
        const ownerObj = this.objects.get(
          owner.kind,
          o.metadata.namespace ?? '',
          owner.name,
        );
        if (!ownerObj || ownerObj.metadata.uid !== owner.uid) {
          if (kind === 'Pod') this.terminatePod(o, Date.now());
          else this.removeObject(kind, o);
        }
      }
    }
  }

  // ------------------------------------------------------------- events

  private recordEvent(
    namespace: string,
    kind: string,
    name: string,
    type: string,
    reason: string,
    message: string,
    component = 'sandbox',
  ) {
    const target = this.objects.get(kind, namespace, name);
    const existing = this.objects
      .list('Event', namespace)
      .find(
        e =>
          e.involvedObject?.kind === kind &&
          e.involvedObject?.name === name &&
          e.reason === reason &&
          e.message === message,
      );
    const ts = nowIso();
    if (existing) {
      this.objects.put('Event', {
        ...existing,
        count: (existing.count ?? 1) + 1,
        lastTimestamp: ts,
      });
      return;
    }
    const info = resolveKind(kind);
    const events = this.objects.list('Event');
    if (events.length >= MAX_EVENTS) {
      const oldest = events.sort((a, b) =>
        String(a.lastTimestamp).localeCompare(String(b.lastTimestamp)),
      )[0];
      this.objects.remove(
        'Event',
        oldest.metadata.namespace ?? '',
        oldest.metadata.name,
      );
    }
    this.objects.put('Event', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${name}.${randomBytes(8).toString('hex')}`,
        namespace,
        uid: randomUUID(),
        creationTimestamp: ts,
      },
      involvedObject: {
        kind,
        namespace,
        name,
        ...(target
          ? {
              uid: target.metadata.uid,
              resourceVersion: target.metadata.resourceVersion,
            }
          : {}),
        apiVersion: info ? apiVersionOf(info) : 'v1',
        ...(kind === 'Pod' && target
          ? {
              fieldPath: `spec.containers{${
                target.spec?.containers?.[0]?.name ?? 'app'
              }}`,
            }
          : {}),
      },
      reason,
      message,
      source: {
        component,
        ...(kind === 'Pod' && component === 'kubelet'
          ? { host: this.nodeName }
          : {}),
      },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? this.nodeName : '',
    });
  }

  // ------------------------------------------------------------- controllers

  private schedule(delayMs: number) {
    if (this.closed || this.instant) return;
    const due = Date.now() + Math.max(0, delayMs);
    if (this.timer && this.timerDueAt <= due) return;
    this.clearTimer();
    this.timerDueAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDueAt = Infinity;
      try {
        this.tick();
      } catch (e) {
        // keep the cluster moving even if one pass trips over a bad object
        console.error('kube store: controller pass failed:', e);
        this.schedule(this.rolloutStepMs);
      }
    }, Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }

  /** One controller pass. Returns whether anything changed. */
  private tick(): boolean {
    if (this.closed) return false;
    const now = this.instant ? Infinity : Date.now();
    let changed = this.advancePods(now);
    for (let i = 0; i < 3; i++) {
      let c = false;
      for (const d of this.objects.list('Deployment'))
        c = this.reconcileDeployment(d) || c;
      for (const rs of this.objects.list('ReplicaSet'))
        c = this.reconcileReplicaSet(rs) || c;
      changed = changed || c;
      if (!c) break;
    }
    for (const rs of this.objects.list('ReplicaSet'))
      this.updateReplicaSetStatus(rs);
    for (const d of this.objects.list('Deployment'))
      this.updateDeploymentStatus(d);
    // next due transition
    let next = Infinity;
    for (const rt of this.runtime.values())
      if (rt.dueAt !== undefined) next = Math.min(next, rt.dueAt);
    if (next !== Infinity) this.schedule(next - Date.now());
    return changed;
  }

  private advancePods(now: number): boolean {
    let changed = false;
    for (const pod of this.objects.list('Pod')) {
      const ns = pod.metadata.namespace ?? '';
      const key = `${ns}/${pod.metadata.name}`;
      const rt = this.runtime.get(key);
      if (!rt || rt.dueAt === undefined || rt.dueAt > now) continue;
      changed = true;
      const t = this.instant ? Date.now() : now;
      if (rt.state === 'terminating') this.removeObject('Pod', pod);
      else if (rt.state === 'pending' || rt.state === 'blocked')
        this.startPod(pod, rt, t);
      else if (rt.state === 'crashing') this.crashPod(pod, rt, t);
    }
    return changed;
  }

  private deploymentOf(pod: KubeObject): string {
    const rsRef = (pod.metadata.ownerReferences ?? []).find(
      (r: any) => r.kind === 'ReplicaSet',
    );
    if (!rsRef) return '';
    const rs = this.objects.get(
      'ReplicaSet',
      pod.metadata.namespace ?? '',
      rsRef.name,
    );
    return (
      (rs?.metadata.ownerReferences ?? []).find(
        (r: any) => r.kind === 'Deployment',
      )?.name ?? ''
    );
  }

  /** Resolve a pod's env now (secretKeyRef from the Secret as it is at this moment). */
  private resolveEnv(pod: KubeObject): {
    env?: Record<string, string>;
    error?: string;
  } {
    const ns = pod.metadata.namespace ?? '';
    const env: Record<string, string> = {};
    const c = pod.spec?.containers?.[0] ?? {};
    for (const from of c.envFrom ?? []) {
      if (from.secretRef) {
        const data = this.getSecretData(ns, from.secretRef.name);
        if (!data) {
          if (from.secretRef.optional) continue;
          return { error: `secret "${from.secretRef.name}" not found` };
        }
        for (const [k, v] of Object.entries(data))
          env[`${from.prefix ?? ''}${k}`] = v;
      }
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined)
        env[e.name] = String(e.value).replace(
          /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
          (m: string, n: string) => env[n] ?? m,
        );
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        const data = this.getSecretData(ns, ref.name);
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
        const path = String(e.valueFrom.fieldRef.fieldPath);
        const fields: Record<string, string> = {
          'metadata.name': pod.metadata.name,
          'metadata.namespace': ns,
          'spec.nodeName': this.nodeName,
          'status.podIP': pod.status?.podIP ?? '',
        };
        env[e.name] = fields[path] ?? '';
      } else env[e.name] = '';
    }
    return { env };
  }

  private containerStatuses(pod: KubeObject, fn: (c: any, spec: any) => any) {
    const specs = pod.spec?.containers ?? [];
    const prev = pod.status?.containerStatuses ?? [];
    return specs.map((s: any) =>
      fn(
        prev.find((c: any) => c.name === s.name) ?? {
          name: s.name,
          restartCount: 0,
        },
        s,
      ),
    );
  }

  private podConditions(pod: KubeObject, ready: boolean, reason?: string) {
    const old: any[] = pod.status?.conditions ?? [];
    const ts = nowIso();
    const cond = (type: string, status: boolean, extra: object = {}) => {
      const s = status ? 'True' : 'False';
      const prev = old.find(c => c.type === type);
      return {
        type,
        status: s,
        lastProbeTime: null,
        lastTransitionTime:
          prev && prev.status === s ? prev.lastTransitionTime : ts,
        ...(status ? {} : extra),
      };
    };
    const names = (pod.spec?.containers ?? [])
      .map((c: any) => c.name)
      .join(' ');
    const notReady = {
      reason: reason ?? 'ContainersNotReady',
      message: `containers with unready status: [${names}]`,
    };
    return [
      cond('PodReadyToStartContainers', true),
      cond('Initialized', true),
      cond('Ready', ready, notReady),
      cond('ContainersReady', ready, notReady),
      cond('PodScheduled', true),
    ];
  }

  /** A freshly scheduled pod: Pending, its containers being created. */
  private pendingPodStatus(pod: KubeObject): KubeObject {
    const ts = nowIso();
    const podIP = `10.244.0.${10 + Math.floor(Math.random() * 240)}`;
    const next: KubeObject = {
      ...pod,
      spec: { ...pod.spec, nodeName: pod.spec?.nodeName ?? this.nodeName },
      status: {
        phase: 'Pending',
        conditions: [],
        hostIP: '10.0.0.10',
        hostIPs: [{ ip: '10.0.0.10' }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: ts,
        qosClass: 'BestEffort',
      },
    };
    next.status.conditions = this.podConditions(next, false);
    next.status.containerStatuses = this.containerStatuses(next, (c, s) => ({
      ...c,
      image: s.image,
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      lastState: {},
      state: { waiting: { reason: 'ContainerCreating' } },
    }));
    return next;
  }

  private startPod(pod: KubeObject, rt: PodRuntime, now: number) {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    if (
      rt.deployment &&
      this.faults.get(`${ns}/${rt.deployment}`) === 'crashloop'
    ) {
      this.crashPod(pod, rt, now);
      return;
    }
    const { env, error } = this.resolveEnv(pod);
    const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (error) {
      rt.state = 'blocked';
      rt.dueAt = now + this.rolloutStepMs;
      const wasBlocked =
        pod.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
        'CreateContainerConfigError';
      this.objects.put('Pod', {
        ...pod,
        status: {
          ...pod.status,
          phase: 'Pending',
          conditions: this.podConditions(pod, false),
          containerStatuses: this.containerStatuses(pod, (c, s) => ({
            ...c,
            image: s.image,
            imageID: '',
            ready: false,
            started: false,
            state: {
              waiting: { reason: 'CreateContainerConfigError', message: error },
            },
          })),
        },
      });
      if (!wasBlocked)
        this.recordEvent(
          ns,
          'Pod',
          name,
          'Warning',
          'Failed',
          `Error: ${error}`,
          'kubelet',
        );
      return;
    }
    const restarted =
      (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0;
    rt.state = 'ready';
    rt.dueAt = undefined;
    rt.env = env;
    this.objects.put('Pod', {
      ...pod,
      status: {
        ...pod.status,
        phase: 'Running',
        conditions: this.podConditions(pod, true),
        containerStatuses: this.containerStatuses(pod, (c, s) => ({
          ...c,
          image: s.image,
          imageID: `${String(s.image).split(':')[0]}@sha256:${createHash(
            'sha256',
          )
            .update(String(s.image))
            .digest('hex')}`,
          containerID: `containerd://${randomBytes(32).toString('hex')}`,
          ready: true,
          started: true,
          state: { running: { startedAt: ts } },
        })),
      },
    });
    if (!restarted) {
      const image = pod.spec?.containers?.[0]?.image;
      const cname = pod.spec?.containers?.[0]?.name;
      this.recordEvent(
        ns,
        'Pod',
        name,
        'Normal',
        'Pulled',
        `Container image "${image}" already present on machine`,
        'kubelet',
      );
      this.recordEvent(
        ns,
        'Pod',
        name,
        'Normal',
        'Created',
        `Created container: ${cname}`,
        'kubelet',
      );
      this.recordEvent(
        ns,
        'Pod',
        name,
        'Normal',
        'Started',
        `Started container ${cname}`,
        'kubelet',
      );
    }
    const started: StartedPod = {
      namespace: ns,
      name,
      deployment: rt.deployment,
      env: { ...env! },
    };
    for (const l of [...this.startedListeners]) this.safeCall(() => l(started));
  }

  /** The container dies (OOMKilled) and waits in CrashLoopBackOff; called again at every restart. */
  private crashPod(pod: KubeObject, rt: PodRuntime, now: number) {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    const wasReady = rt.state === 'ready';
    const t = new Date(now);
    const finishedAt = t.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const startedAt = new Date(now - 2000)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    rt.state = 'crashing';
    rt.dueAt = now + this.crashLoopIntervalMs;
    const backoffSeconds = (restarts: number) =>
      Math.min(300, 10 * 2 ** Math.max(0, restarts - 1));
    this.objects.put('Pod', {
      ...pod,
      status: {
        ...pod.status,
        phase: 'Running',
        conditions: this.podConditions(pod, false),
        containerStatuses: this.containerStatuses(pod, (c, s) => {
          const restartCount = (c.restartCount ?? 0) + 1;
          return {
            ...c,
            image: s.image,
            imageID: c.imageID ?? '',
            containerID: `containerd://${randomBytes(32).toString('hex')}`,
            ready: false,
            started: false,
            restartCount,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off ${backoffSeconds(
                  restartCount,
                )}s restarting failed container=${s.name} pod=${name}_${ns}(${
                  pod.metadata.uid
                })`,
              },
            },
            lastState: {
              terminated: {
                exitCode: 137,
                reason: 'OOMKilled',
                startedAt,
                finishedAt,
                containerID: c.containerID,
              },
            },
          };
        }),
      },
    });
    for (const c of pod.spec?.containers ?? [])
      this.logs.rotate(`${ns}/${name}`, c.name);
    const cname = pod.spec?.containers?.[0]?.name ?? 'app';
    this.recordEvent(
      ns,
      'Pod',
      name,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${cname} in pod ${name}_${ns}(${pod.metadata.uid})`,
      'kubelet',
    );
    if (wasReady) this.firePodStopped(ns, name, rt.deployment);
  }

  private terminatePod(pod: KubeObject, now: number) {
    const ns = pod.metadata.namespace ?? '';
    const key = `${ns}/${pod.metadata.name}`;
    const rt = this.runtime.get(key) ?? {
      state: 'pending',
      deployment: this.deploymentOf(pod),
    };
    if (rt.state === 'terminating') return;
    const wasReady = rt.state === 'ready';
    rt.state = 'terminating';
    rt.dueAt = this.instant ? 0 : now + this.rolloutStepMs;
    this.runtime.set(key, rt);
    const ts = new Date(
      now + (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000,
    )
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    this.objects.put('Pod', {
      ...pod,
      metadata: {
        ...pod.metadata,
        deletionTimestamp: ts,
        deletionGracePeriodSeconds:
          pod.spec?.terminationGracePeriodSeconds ?? 30,
      },
      status: { ...pod.status, conditions: this.podConditions(pod, false) },
    });
    if (!this.instant) {
      this.recordEvent(
        ns,
        'Pod',
        pod.metadata.name,
        'Normal',
        'Killing',
        `Stopping container ${pod.spec?.containers?.[0]?.name ?? 'app'}`,
        'kubelet',
      );
    }
    if (wasReady) this.firePodStopped(ns, pod.metadata.name, rt.deployment);
  }

  private firePodStopped(namespace: string, name: string, deployment: string) {
    for (const l of [...this.stoppedListeners])
      this.safeCall(() => l({ namespace, name, deployment }));
  }

  private safeCall(fn: () => void) {
    try {
      fn();
    } catch (e) {
      // a listener's failure must not break the controllers
      console.error('kube store: a pod listener failed:', e);
    }
  }

  private ownedBy(kind: string, namespace: string, uid: string): KubeObject[] {
    return this.objects
      .list(kind, namespace)
      .filter(o =>
        (o.metadata.ownerReferences ?? []).some(
          (r: any) => r.uid === uid && r.controller,
        ),
      );
  }

  private activePods(rs: KubeObject): KubeObject[] {
    return this.ownedBy(
      'Pod',
      rs.metadata.namespace ?? '',
      rs.metadata.uid!,
    ).filter(p => !p.metadata.deletionTimestamp);
  }

  private readyCount(pods: KubeObject[]): number {
    return pods.filter(
      p =>
        this.runtime.get(`${p.metadata.namespace}/${p.metadata.name}`)
          ?.state === 'ready',
    ).length;
  }

  private setReplicas(
    rs: KubeObject,
    replicas: number,
    dep: KubeObject,
  ): KubeObject {
    const from = rs.spec.replicas ?? 0;
    if (from === replicas) return rs;
    const updated = this.objects.put('ReplicaSet', {
      ...rs,
      metadata: {
        ...rs.metadata,
        annotations: {
          ...(rs.metadata.annotations ?? {}),
          'deployment.kubernetes.io/desired-replicas': String(
            dep.spec.replicas ?? 1,
          ),
          'deployment.kubernetes.io/max-replicas': String(
            (dep.spec.replicas ?? 1) +
              intOrPercent(
                dep.spec.strategy?.rollingUpdate?.maxSurge,
                dep.spec.replicas ?? 1,
                true,
                '25%',
              ),
          ),
        },
      },
      spec: { ...rs.spec, replicas },
    });
    if (!this.instant || from !== 0) {
      this.recordEvent(
        dep.metadata.namespace ?? '',
        'Deployment',
        dep.metadata.name,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${replicas > from ? 'up' : 'down'} replica set ${
          rs.metadata.name
        } from ${from} to ${replicas}`,
        'deployment-controller',
      );
    }
    return updated;
  }

  private reconcileDeployment(initial: KubeObject): boolean {
    // re-read after our own writes (revision annotations, conditions)
    let dep = initial;
    const ns = dep.metadata.namespace ?? '';
    const desired: number = dep.spec.replicas ?? 1;
    const rss = this.ownedBy('ReplicaSet', ns, dep.metadata.uid!);
    const hash = templateHash(dep.spec.template);
    let newRS = rss.find(
      rs => rs.metadata.labels?.['pod-template-hash'] === hash,
    );
    let changed = false;
    const maxRevision = Math.max(
      0,
      ...rss.map(rs =>
        Number(
          rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0,
        ),
      ),
    );
    if (!newRS) {
      if (dep.spec.paused) return false;
      const template = deepClone(dep.spec.template);
      template.metadata = {
        ...(template.metadata ?? {}),
        labels: {
          ...(template.metadata?.labels ?? {}),
          'pod-template-hash': hash,
        },
      };
      newRS = this.objects.put('ReplicaSet', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${dep.metadata.name}-${hash}`,
          namespace: ns,
          uid: randomUUID(),
          generation: 1,
          creationTimestamp: nowIso(),
          labels: template.metadata.labels,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(desired),
            'deployment.kubernetes.io/max-replicas': String(
              desired +
                intOrPercent(
                  dep.spec.strategy?.rollingUpdate?.maxSurge,
                  desired,
                  true,
                  '25%',
                ),
            ),
            'deployment.kubernetes.io/revision': String(maxRevision + 1),
          },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: dep.metadata.name,
              uid: dep.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          replicas: 0,
          selector: {
            ...deepClone(dep.spec.selector),
            matchLabels: {
              ...(dep.spec.selector?.matchLabels ?? {}),
              'pod-template-hash': hash,
            },
          },
          template,
        },
        status: { replicas: 0 },
      });
      this.setDeploymentRevision(dep, maxRevision + 1, {
        reason: 'NewReplicaSetCreated',
        message: `Created new replica set "${newRS.metadata.name}"`,
      });
      changed = true;
      dep = this.objects.get('Deployment', ns, dep.metadata.name)!;
    } else {
      const rev = Number(
        newRS.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0,
      );
      if (rev < maxRevision) {
        // rollback to an older template: it becomes the newest revision again
        newRS = this.objects.put('ReplicaSet', {
          ...newRS,
          metadata: {
            ...newRS.metadata,
            annotations: {
              ...newRS.metadata.annotations,
              'deployment.kubernetes.io/revision': String(maxRevision + 1),
            },
          },
        });
        this.setDeploymentRevision(dep, maxRevision + 1);
        dep = this.objects.get('Deployment', ns, dep.metadata.name)!;
        changed = true;
      }
    }
    if (dep.spec.paused) return changed;
    const oldRSs = rss.filter(rs => rs.metadata.uid !== newRS!.metadata.uid);
    const oldActive = oldRSs.filter(
      rs => (rs.spec.replicas ?? 0) > 0 || this.activePods(rs).length > 0,
    );

    if (dep.spec.strategy?.type === 'Recreate') {
      if (oldActive.length) {
        for (const rs of oldActive)
          if ((rs.spec.replicas ?? 0) > 0) {
            this.setReplicas(rs, 0, dep);
            changed = true;
          }
        return changed;
      }
      if ((newRS.spec.replicas ?? 0) !== desired) {
        this.setReplicas(newRS, desired, dep);
        changed = true;
      }
      return changed;
    }

    if (!oldRSs.some(rs => (rs.spec.replicas ?? 0) > 0)) {
      if ((newRS.spec.replicas ?? 0) !== desired) {
        this.setReplicas(newRS, desired, dep);
        changed = true;
      }
      return this.cleanupOldReplicaSets(dep, oldRSs) || changed;
    }

    const maxSurge = intOrPercent(
      dep.spec.strategy?.rollingUpdate?.maxSurge,
      desired,
      true,
      '25%',
    );
    let maxUnavailable = intOrPercent(
      dep.spec.strategy?.rollingUpdate?.maxUnavailable,
      desired,
      false,
      '25%',
    );
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const specSum = () =>
      [newRS!, ...oldRSs].reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);

    // scale the new ReplicaSet up within the surge
    const allowed = desired + maxSurge - specSum();
    if (allowed > 0 && (newRS.spec.replicas ?? 0) < desired) {
      newRS = this.setReplicas(
        newRS,
        Math.min(desired, (newRS.spec.replicas ?? 0) + allowed),
        dep,
      );
      changed = true;
    }

    // scale old ReplicaSets down while keeping the minimum available
    const minAvailable = desired - maxUnavailable;
    const newReady = this.readyCount(this.activePods(newRS));
    const newUnavailable = Math.max(0, (newRS.spec.replicas ?? 0) - newReady);
    let maxScaledDown = specSum() - minAvailable - newUnavailable;
    if (maxScaledDown > 0) {
      // unhealthy old replicas go first
      for (let i = 0; i < oldRSs.length && maxScaledDown > 0; i++) {
        const rs = oldRSs[i];
        const unhealthy =
          (rs.spec.replicas ?? 0) - this.readyCount(this.activePods(rs));
        const n = Math.min(unhealthy, maxScaledDown);
        if (n > 0) {
          oldRSs[i] = this.setReplicas(rs, (rs.spec.replicas ?? 0) - n, dep);
          maxScaledDown -= n;
          changed = true;
        }
      }
      const available = [newRS, ...oldRSs].reduce(
        (n, rs) =>
          n +
          Math.min(rs.spec.replicas ?? 0, this.readyCount(this.activePods(rs))),
        0,
      );
      let scaleDown = Math.min(available - minAvailable, maxScaledDown);
      for (let i = 0; i < oldRSs.length && scaleDown > 0; i++) {
        const rs = oldRSs[i];
        const n = Math.min(rs.spec.replicas ?? 0, scaleDown);
        if (n > 0) {
          oldRSs[i] = this.setReplicas(rs, (rs.spec.replicas ?? 0) - n, dep);
          scaleDown -= n;
          changed = true;
        }
      }
    }
    return changed;
  }

  private cleanupOldReplicaSets(
    dep: KubeObject,
    oldRSs: KubeObject[],
  ): boolean {
    const limit = dep.spec.revisionHistoryLimit ?? 10;
    const idle = oldRSs
      .filter(
        rs =>
          (rs.spec.replicas ?? 0) === 0 &&
          this.ownedBy('Pod', rs.metadata.namespace ?? '', rs.metadata.uid!)
            .length === 0,
      )
      .sort(
        (a, b) =>
          Number(
            a.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0,
          ) -
          Number(
            b.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0,
          ),
      );
    let changed = false;
    while (idle.length > limit) {
      this.removeObject('ReplicaSet', idle.shift()!);
      changed = true;
    }
    return changed;
  }

  private setDeploymentRevision(
    dep: KubeObject,
    revision: number,
    progressing?: { reason: string; message: string },
  ) {
    const current = this.objects.get(
      'Deployment',
      dep.metadata.namespace ?? '',
      dep.metadata.name,
    )!;
    const status = deepClone(current.status ?? {});
    if (progressing)
      status.conditions = this.withCondition(
        status.conditions,
        'Progressing',
        'True',
        progressing.reason,
        progressing.message,
      );
    this.objects.put('Deployment', {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: {
          ...(current.metadata.annotations ?? {}),
          'deployment.kubernetes.io/revision': String(revision),
        },
      },
      status,
    });
  }

  private reconcileReplicaSet(rs: KubeObject): boolean {
    const ns = rs.metadata.namespace ?? '';
    const pods = this.activePods(rs);
    const want: number = rs.spec.replicas ?? 0;
    const deployment =
      (rs.metadata.ownerReferences ?? []).find(
        (r: any) => r.kind === 'Deployment',
      )?.name ?? '';
    if (pods.length < want) {
      for (let i = pods.length; i < want; i++) this.createPod(rs, deployment);
      return true;
    }
    if (pods.length > want) {
      // not-ready pods first, then the newest
      const rank = (p: KubeObject) =>
        this.runtime.get(`${ns}/${p.metadata.name}`)?.state === 'ready' ? 1 : 0;
      const victims = [...pods]
        .sort(
          (a, b) =>
            rank(a) - rank(b) ||
            String(b.metadata.creationTimestamp).localeCompare(
              String(a.metadata.creationTimestamp),
            ),
        )
        .slice(0, pods.length - want);
      for (const p of victims) {
        this.terminatePod(p, Date.now());
        if (!this.instant)
          this.recordEvent(
            ns,
            'ReplicaSet',
            rs.metadata.name,
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${p.metadata.name}`,
            'replicaset-controller',
          );
      }
      return true;
    }
    return false;
  }

  private createPod(rs: KubeObject, deployment: string) {
    const ns = rs.metadata.namespace ?? '';
    let name = `${rs.metadata.name}-${randomSuffix()}`;
    while (this.objects.get('Pod', ns, name))
      name = `${rs.metadata.name}-${randomSuffix()}`;
    const template = deepClone(rs.spec.template ?? {});
    const now = Date.now();
    const ts = nowIso();
    const spec = {
      ...template.spec,
      nodeName: this.nodeName,
      serviceAccountName: template.spec?.serviceAccountName ?? 'default',
      serviceAccount: template.spec?.serviceAccountName ?? 'default',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      tolerations: template.spec?.tolerations ?? [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    };
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${rs.metadata.name}-`,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: ts,
        labels: template.metadata?.labels ?? {},
        ...(template.metadata?.annotations
          ? { annotations: template.metadata.annotations }
          : {}),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: rs.metadata.name,
            uid: rs.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec,
    };
    this.runtime.set(`${ns}/${name}`, {
      state: 'pending',
      dueAt: this.instant ? 0 : now + this.rolloutStepMs,
      deployment,
    });
    this.objects.put('Pod', this.pendingPodStatus(pod));
    if (!this.instant) {
      this.recordEvent(
        ns,
        'ReplicaSet',
        rs.metadata.name,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${name}`,
        'replicaset-controller',
      );
      this.recordEvent(
        ns,
        'Pod',
        name,
        'Normal',
        'Scheduled',
        `Successfully assigned ${ns}/${name} to ${this.nodeName}`,
        'default-scheduler',
      );
    }
  }

  private updateReplicaSetStatus(rs: KubeObject) {
    const pods = this.activePods(rs);
    const ready = this.readyCount(pods);
    const status: any = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    for (const k of [
      'fullyLabeledReplicas',
      'readyReplicas',
      'availableReplicas',
    ])
      if (!status[k]) delete status[k];
    if (stableStringify(status) !== stableStringify(rs.status ?? {}))
      this.objects.put('ReplicaSet', { ...rs, status });
  }

  private withCondition(
    conditions: any[] | undefined,
    type: string,
    status: string,
    reason: string,
    message: string,
    /** Refresh lastUpdateTime even when nothing else changes (progress was made). */
    touch = false,
  ): any[] {
    const list = deepClone(conditions ?? []);
    const ts = nowIso();
    const i = list.findIndex(c => c.type === type);
    const prev = i >= 0 ? list[i] : undefined;
    if (
      prev &&
      prev.status === status &&
      prev.reason === reason &&
      prev.message === message &&
      (!touch || prev.lastUpdateTime === ts)
    )
      return list;
    const next = {
      type,
      status,
      lastUpdateTime: ts,
      lastTransitionTime:
        prev && prev.status === status ? prev.lastTransitionTime : ts,
      reason,
      message,
    };
    if (i >= 0) list[i] = next;
    else list.push(next);
    // the API server keeps Available before Progressing
    const rank = (c: any) => (c.type === 'Available' ? 0 : 1);
    return list.sort((a, b) => rank(a) - rank(b));
  }

  private updateDeploymentStatus(dep: KubeObject) {
    const ns = dep.metadata.namespace ?? '';
    const desired: number = dep.spec.replicas ?? 1;
    const rss = this.ownedBy('ReplicaSet', ns, dep.metadata.uid!);
    const hash = templateHash(dep.spec.template);
    const newRS = rss.find(
      rs => rs.metadata.labels?.['pod-template-hash'] === hash,
    );
    const allPods = rss.flatMap(rs => this.activePods(rs));
    const newPods = newRS ? this.activePods(newRS) : [];
    const ready = this.readyCount(allPods);
    const maxUnavailable = intOrPercent(
      dep.spec.strategy?.rollingUpdate?.maxUnavailable,
      desired,
      false,
      '25%',
    );
    const status: any = {
      observedGeneration: dep.metadata.generation ?? 1,
      replicas: allPods.length,
      updatedReplicas: newPods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(
        0,
        rss.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0) - ready,
      ),
    };
    let conditions = dep.status?.conditions;
    const minAvailable =
      dep.spec.strategy?.type === 'Recreate'
        ? desired
        : desired - maxUnavailable;
    conditions =
      ready >= minAvailable
        ? this.withCondition(
            conditions,
            'Available',
            'True',
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
          )
        : this.withCondition(
            conditions,
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          );
    if (newRS) {
      // the deployment controller's syncRolloutStatus: complete, progressing, or timed out
      const prev = dep.status ?? {};
      const rsName = newRS.metadata.name;
      const complete =
        newPods.length === desired &&
        this.readyCount(newPods) === desired &&
        allPods.length === desired;
      const progressed =
        newPods.length > (prev.updatedReplicas ?? 0) ||
        ready > (prev.readyReplicas ?? 0) ||
        ready > (prev.availableReplicas ?? 0) ||
        (prev.replicas ?? 0) > allPods.length;
      const progressing = (conditions ?? []).find(
        (c: any) => c.type === 'Progressing',
      );
      const deadlineMs = (dep.spec.progressDeadlineSeconds ?? 600) * 1000;
      const timedOut =
        progressing?.reason === 'ProgressDeadlineExceeded' ||
        (progressing?.reason !== 'NewReplicaSetAvailable' &&
          !!progressing?.lastUpdateTime &&
          Date.now() - Date.parse(progressing.lastUpdateTime) > deadlineMs);
      if (complete) {
        conditions = this.withCondition(
          conditions,
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${rsName}" has successfully progressed.`,
        );
      } else if (progressed) {
        conditions = this.withCondition(
          conditions,
          'Progressing',
          'True',
          'ReplicaSetUpdated',
          `ReplicaSet "${rsName}" is progressing.`,
          true,
        );
      } else if (timedOut) {
        conditions = this.withCondition(
          conditions,
          'Progressing',
          'False',
          'ProgressDeadlineExceeded',
          `ReplicaSet "${rsName}" has timed out progressing.`,
        );
      }
    }
    status.conditions = conditions;
    for (const k of [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ])
      if (!status[k]) delete status[k];
    if (stableStringify(status) !== stableStringify(dep.status ?? {}))
      this.objects.put('Deployment', { ...dep, status });
  }
}
