/**
 * An in-memory Kubernetes cluster: the object store behind the simulated API server, the
 * controller manager (deployment and ReplicaSet controllers, garbage collection) and the kubelet
 * of its one node, wired over the narrow `ClusterState` they share. This class is the cluster's
 * one way in: the world drives it through `KubeStore`, the API server through the verbs it
 * inherits from `ObjectStore` and the pod logs.
 */
import { WriteGates } from './writeGates';
import { TableCluster } from './cluster';
import { ControllerManager } from './controllers/manager';
import { Kubelet } from './kubelet/kubelet';
import { LogQuery } from './kubelet/logs';
import { ObjectStore } from './objectStore';
import {
  ObjectTable,
  decodeSecretData,
  deepClone,
  encodeSecretData,
} from './objects';
import { requireKind, storageKey } from './resources';
import { seedObjects } from './seedObjects';
import { requirementsFromMap } from './selectors';
import {
  DeploymentFault,
  KubeEventInput,
  KubeObject,
  KubeSeed,
  KubeStore,
  KubeWriteRecord,
  StartedPod,
  StoppedPod,
} from './types';
import { WriteLog } from './writeLog';

export interface InMemoryKubeStoreOptions {
  /** Time between rollout steps (a new pod becoming ready, an old one going). Default 1500 ms. */
  rolloutStepMs?: number;
  /** Time between restarts of a crash-looping container. Default 4000 ms. */
  crashLoopIntervalMs?: number;
  /** Node name shown on pods. */
  nodeName?: string;
}

export class InMemoryKubeStore extends ObjectStore implements KubeStore {
  /** Test knobs: hold or fail the next matching writes (control API `/kube/hold`, `/kube/faults`). */
  readonly gates = new WriteGates();

  readonly rolloutStepMs: number;
  readonly crashLoopIntervalMs: number;
  private readonly cluster: TableCluster;
  private readonly kubelet: Kubelet;
  private readonly controllers: ControllerManager;
  private readonly writeLog = new WriteLog();

  constructor(options: InMemoryKubeStoreOptions = {}) {
    const table = new ObjectTable();
    const cluster = new TableCluster(table, {
      nodeName: options.nodeName ?? 'sandbox-node-1',
      rolloutStepMs: options.rolloutStepMs ?? 1500,
      crashLoopIntervalMs: options.crashLoopIntervalMs ?? 4000,
    });
    const kubelet = new Kubelet(cluster);
    const controllers = new ControllerManager(cluster, kubelet);
    super(table, {
      podCreated: pod => kubelet.admit(pod),
      podDeleted: pod => kubelet.terminate(pod, Date.now()),
      podRemoved: pod => kubelet.remove(pod),
      podMetrics: pod => kubelet.metrics(pod),
      changed: () => controllers.schedule(0),
      ownerDeleted: () => controllers.collectGarbage(),
    });
    this.rolloutStepMs = cluster.rolloutStepMs;
    this.crashLoopIntervalMs = cluster.crashLoopIntervalMs;
    this.cluster = cluster;
    this.kubelet = kubelet;
    this.controllers = controllers;
  }

  // ---------------------------------------------------------------- KubeStore

  reset(seed: KubeSeed): void {
    this.controllers.clearTimer();
    // the old world goes away visibly: its running pods stop, watchers see every object deleted
    this.kubelet.reset();
    this.table.removeAll();
    // writes() survive a reset: they are evidence of what clients did (clearWrites() empties them)
    this.cluster.instant = true;
    try {
      for (const o of seedObjects(seed, this.cluster.nodeName))
        this.createObject(o.kind, o.namespace, o.body);
      this.controllers.settle();
    } finally {
      this.cluster.instant = false;
    }
  }

  getObject(
    kind: string,
    namespace: string,
    name: string,
  ): KubeObject | undefined {
    const info = requireKind(kind);
    const o = this.table.get(
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
    return this.list(requireKind(kind), namespace || undefined, {
      labelSelector: requirementsFromMap(labelSelector),
    }).items;
  }

  getSecretData(
    namespace: string,
    name: string,
  ): Record<string, string> | undefined {
    const s = this.table.get('Secret', namespace, name);
    return s && decodeSecretData(s);
  }

  setSecretData(
    namespace: string,
    name: string,
    data: Record<string, string>,
  ): void {
    const existing = this.table.get('Secret', namespace, name);
    const encoded = encodeSecretData(data);
    if (existing)
      this.table.put('Secret', { ...deepClone(existing), data: encoded });
    else
      this.createObject('Secret', namespace, {
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
    this.kubelet.setFault(namespace, deployment, fault);
    this.controllers.schedule(0);
  }

  appendPodLog(
    namespace: string,
    pod: string,
    line: string,
    time?: Date,
  ): void {
    this.kubelet.appendLog(namespace, pod, line, time);
  }

  addEvent(namespace: string, event: KubeEventInput): void {
    this.cluster.recordEvent({
      namespace,
      kind: event.involvedObject.kind,
      name: event.involvedObject.name,
      type: event.type,
      reason: event.reason,
      message: event.message,
    });
  }

  onPodStarted(listener: (pod: StartedPod) => void): () => void {
    return this.kubelet.onStarted(listener);
  }

  onPodStopped(listener: (pod: StoppedPod) => void): () => void {
    return this.kubelet.onStopped(listener);
  }

  runningPods(namespace: string, deployment: string): StartedPod[] {
    return this.kubelet.runningPods(namespace, deployment);
  }

  writes(): KubeWriteRecord[] {
    return this.writeLog.all();
  }

  clearWrites(): void {
    this.writeLog.clear();
  }

  close(): void {
    this.controllers.close();
  }

  // ------------------------------------------------------------- for the API server

  recordWrite(record: Omit<KubeWriteRecord, 'at'>) {
    this.writeLog.record(record);
  }

  /** A container's log (`pods/log`): 404 for an unknown pod, 400 for a container never run. */
  readLog(
    namespace: string,
    podName: string,
    container: string | undefined,
    q: LogQuery,
  ): string {
    return this.kubelet.readLog(this.pod(namespace, podName), container, q);
  }

  /**
   * Lines written to a container's log from now on (`follow=true`), until the returned stop
   * is called; `gone` is called when the pod is deleted.
   */
  followLog(
    namespace: string,
    podName: string,
    container: string | undefined,
    q: LogQuery,
    write: (chunk: string) => void,
    gone: () => void,
  ): () => void {
    const pod = this.pod(namespace, podName);
    const unfollow = this.kubelet.followLog(pod, container, q, write);
    const unwatch = this.table.subscribe(e => {
      if (
        e.kind === 'Pod' &&
        e.type === 'DELETED' &&
        e.object.metadata.name === podName &&
        e.object.metadata.namespace === namespace
      )
        gone();
    });
    return () => {
      unfollow();
      unwatch();
    };
  }

  private pod(namespace: string, name: string): KubeObject {
    return this.get(requireKind('Pod'), namespace, name);
  }
}
