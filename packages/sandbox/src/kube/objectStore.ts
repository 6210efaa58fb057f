/**
 * The API server's side of the store: get, list and watch with selectors; create, update,
 * patch and delete with defaulting, validation, dry run, optimistic concurrency (409 on a stale
 * resourceVersion) and immutable metadata. What a write sets in motion (a pod to start or stop,
 * dependents to collect, a controller pass) goes to the cluster through `ObjectStoreHooks`.
 */
import { randomUUID } from 'crypto';
import { defaultAndValidate } from './defaults';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  notFound,
} from './errors';
import { randomSuffix } from './names';
import {
  ObjectTable,
  StoredEvent,
  WatchEventType,
  deepClone,
  isoSeconds,
  pruneNulls,
  stableStringify,
} from './objects';
import { PatchType, applyPatchOfType } from './patch';
import {
  ResourceInfo,
  apiVersionOf,
  requireKind,
  storageKey,
} from './resources';
import {
  FieldRequirement,
  Requirement,
  formatLabelSelector,
  matchesFields,
  matchesLabels,
} from './selectors';
import { KubeObject } from './types';

export interface ListOptions {
  labelSelector?: Requirement[];
  fieldSelector?: FieldRequirement[];
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: string;
}

/** What the cluster does when the API changes objects. */
export interface ObjectStoreHooks {
  /** A pod created through the API: the kubelet starts it like any other. */
  podCreated(pod: KubeObject): void;
  /** A pod deleted through the API: it terminates gracefully. */
  podDeleted(pod: KubeObject): void;
  /** A pod removed at once (its namespace was deleted). */
  podRemoved(pod: KubeObject): void;
  /** Usage of a running pod (`metrics.k8s.io`), undefined when it is not running. */
  podMetrics(pod: KubeObject): KubeObject | undefined;
  /** Something was stored or deleted: the controllers should look. */
  changed(): void;
  /** An object was deleted: dependents that lost their owner go. */
  ownerDeleted(): void;
}

/** Kinds whose status only the simulation writes (a client's status is ignored, except on `/status`). */
const SIMULATED_STATUS_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'Pod',
  'Namespace',
  'Node',
]);

/** What a namespace's deletion takes with it. */
const NAMESPACED_KINDS = ['Deployment', 'ReplicaSet', 'Pod', 'Secret', 'Event'];

const isObjectBody = (body: unknown) =>
  !!body && typeof body === 'object' && !Array.isArray(body);

const withoutResourceVersion = (o: KubeObject) =>
  stableStringify({
    ...o,
    metadata: { ...o.metadata, resourceVersion: undefined },
  });

export class ObjectStore {
  constructor(
    protected readonly table: ObjectTable,
    private readonly hooks: ObjectStoreHooks,
  ) {}

  get resourceVersion(): string {
    return this.table.resourceVersion;
  }

  get(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    if (info.kind === 'PodMetrics') {
      const pod = this.table.get('Pod', namespace ?? '', name);
      const m = pod && this.hooks.podMetrics(pod);
      if (!m) throw notFound(info, name);
      return m;
    }
    const o = this.table.get(
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
      const items = this.table
        .list('Pod', namespace)
        .map(p => this.hooks.podMetrics(p))
        .filter((m): m is KubeObject => !!m && matches(m, opts));
      return { items, resourceVersion: this.table.resourceVersion };
    }
    const items = this.table
      .list(storageKey(info), info.namespaced ? namespace : undefined)
      .filter(o => matches(o, opts))
      .map(o => withApiVersion(info, deepClone(o)));
    return { items, resourceVersion: this.table.resourceVersion };
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
      matches(o, opts);
    if (
      sinceRv !== undefined &&
      sinceRv !== 0 &&
      sinceRv < this.table.oldestWatchable
    ) {
      throw new ApiError(
        410,
        'Expired',
        `too old resource version: ${sinceRv} (${this.table.oldestWatchable})`,
      );
    }
    const deliver = (e: StoredEvent) => {
      if (e.kind === kind && relevant(e.object))
        send(e.type, withApiVersion(info, deepClone(e.object)));
    };
    if (!sinceRv) {
      for (const o of this.table.list(
        kind,
        info.namespaced ? namespace : undefined,
      )) {
        if (relevant(o)) send('ADDED', withApiVersion(info, deepClone(o)));
      }
    } else {
      for (const e of this.table.eventsSince(sinceRv)) deliver(e);
    }
    return this.table.subscribe(deliver);
  }

  create(
    info: ResourceInfo,
    namespace: string | undefined,
    body: any,
    opts: WriteOptions = {},
  ): KubeObject {
    if (!isObjectBody(body))
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
    if (info.namespaced && !this.table.get('Namespace', '', ns)) {
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, {
        name: ns,
        kind: 'namespaces',
      });
    }
    if (
      obj.metadata.name &&
      this.table.get(storageKey(info), ns, obj.metadata.name)
    )
      throw alreadyExists(info, obj.metadata.name);
    return this.createObject(info.kind, ns, obj, opts.dryRun);
  }

  update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: any,
    opts: WriteOptions = {},
  ): KubeObject {
    if (!isObjectBody(body))
      throw badRequest('the body of the request was in an unknown format');
    const ns = info.namespaced ? namespace ?? 'default' : '';
    const current = this.table.get(storageKey(info), ns, name);
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
    const current = this.table.get(storageKey(info), ns, name);
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
    const current = this.table.get(kind, ns, name);
    if (!current) throw notFound(info, name);
    if (opts.dryRun) return deepClone(current);
    if (info.kind === 'Pod') {
      this.hooks.podDeleted(current);
      this.hooks.changed();
      return deepClone(this.table.get('Pod', ns, name) ?? current);
    }
    if (info.kind === 'Namespace') {
      for (const k of NAMESPACED_KINDS) {
        for (const o of this.table.list(k, name)) this.remove(k, o);
      }
    }
    this.remove(kind, current);
    this.hooks.ownerDeleted();
    this.hooks.changed();
    return deepClone(current);
  }

  /** The `scale` subresource of a Deployment or ReplicaSet. */
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

  /** Defaults, validation and bookkeeping for a new object, then store it (unless dry run). */
  createObject(
    kind: string,
    namespace: string,
    body: any,
    dryRun = false,
  ): KubeObject {
    const info = requireKind(kind);
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
    obj.metadata.creationTimestamp = isoSeconds();
    defaultAndValidate(info, obj);
    if (info.kind === 'Deployment' || info.kind === 'ReplicaSet') {
      obj.metadata.generation = 1;
      obj.status = obj.status ?? {};
    }
    if (dryRun) return obj;
    const stored = this.table.put(storageKey(info), obj);
    if (info.kind === 'Pod') this.hooks.podCreated(stored);
    this.hooks.changed();
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
      withoutResourceVersion(obj) === withoutResourceVersion(current);
    if (unchanged) return deepClone(current);
    if (opts.dryRun) {
      return deepClone({
        ...obj,
        metadata: {
          ...obj.metadata,
          resourceVersion: current.metadata.resourceVersion,
        },
      });
    }
    const stored = this.table.put(storageKey(info), obj);
    this.hooks.changed();
    return deepClone(stored);
  }

  private remove(kind: string, obj: KubeObject) {
    if (kind === 'Pod') this.hooks.podRemoved(obj);
    else
      this.table.remove(kind, obj.metadata.namespace ?? '', obj.metadata.name);
  }
}

function matches(o: KubeObject, opts: ListOptions) {
  return (
    (!opts.labelSelector ||
      matchesLabels(o.metadata.labels, opts.labelSelector)) &&
    (!opts.fieldSelector || matchesFields(o, opts.fieldSelector))
  );
}

/** HPAs are stored once and served at autoscaling/v1 and v2. */
function withApiVersion(info: ResourceInfo, o: KubeObject): KubeObject {
  if (o.apiVersion !== apiVersionOf(info)) o.apiVersion = apiVersionOf(info);
  return o;
}
