/**
 * The kubelet of the one simulated node: it starts the pods the controllers (or clients) create,
 * resolves their environment from Secrets, crashes them while a fault is set, terminates them
 * gracefully, writes their status and events, and keeps their container logs. The world hears
 * of every pod that starts (with its resolved env) and every pod that stops.
 */
import { createHash } from 'crypto';
import type { ClusterEvent, ClusterState, PodLifecycle } from '../cluster';
import { badRequest } from '../errors';
import { decodeSecretData, isoSeconds, objectKey } from '../objects';
import { DeploymentFault, KubeObject, StartedPod, StoppedPod } from '../types';
import { resolvePodEnv } from './env';
import { LogQuery, PodLogs } from './logs';
import {
  blockedPod,
  crashedPod,
  isBlocked,
  pendingPod,
  runningPod,
  terminatingPod,
} from './podStatus';

type PodPhase = 'pending' | 'ready' | 'crashing' | 'terminating' | 'blocked';

/** What the kubelet knows of a pod beyond its stored object. */
interface PodState {
  phase: PodPhase;
  /** When the next transition is due (ms epoch). */
  dueAt?: number;
  /** The Deployment that owns the pod through its ReplicaSet ('' for a bare pod). */
  deployment: string;
  /** The env resolved when it last started. */
  env?: Record<string, string>;
}

export class Kubelet implements PodLifecycle {
  private readonly pods = new Map<string, PodState>();
  private readonly faults = new Map<string, DeploymentFault>();
  private readonly startedListeners = new Set<(p: StartedPod) => void>();
  private readonly stoppedListeners = new Set<(p: StoppedPod) => void>();
  private readonly logs = new PodLogs();

  constructor(private readonly cluster: ClusterState) {}

  // ------------------------------------------------------------- for the controllers

  isReady(pod: KubeObject): boolean {
    return this.pods.get(objectKey(pod))?.phase === 'ready';
  }

  admit(pod: KubeObject, deployment = ''): void {
    const key = objectKey(pod);
    if (this.pods.has(key)) return;
    this.pods.set(key, {
      phase: 'pending',
      dueAt: this.cluster.instant ? 0 : Date.now() + this.cluster.rolloutStepMs,
      deployment,
    });
    this.cluster.put('Pod', pendingPod(pod, this.cluster.nodeName));
  }

  terminate(pod: KubeObject, now: number): void {
    const key = objectKey(pod);
    const state: PodState = this.pods.get(key) ?? {
      phase: 'pending',
      deployment: this.deploymentOf(pod),
    };
    if (state.phase === 'terminating') return;
    const wasReady = state.phase === 'ready';
    state.phase = 'terminating';
    state.dueAt = this.cluster.instant ? 0 : now + this.cluster.rolloutStepMs;
    this.pods.set(key, state);
    this.cluster.put('Pod', terminatingPod(pod, now));
    if (!this.cluster.instant) {
      this.event(
        pod,
        'Normal',
        'Killing',
        `Stopping container ${mainContainer(pod)}`,
      );
    }
    if (wasReady) this.fireStopped(pod, state.deployment);
  }

  // ------------------------------------------------------------- for the object store

  /** The pod goes at once, without a grace period (its namespace was deleted). */
  remove(pod: KubeObject): void {
    this.cluster.remove('Pod', pod);
    const key = objectKey(pod);
    const state = this.pods.get(key);
    if (state?.phase === 'ready') this.fireStopped(pod, state.deployment);
    this.pods.delete(key);
    this.logs.remove(key);
  }

  /** Usage of a running pod: steady, plausible numbers derived from its name. */
  metrics(pod: KubeObject): KubeObject | undefined {
    if (!this.isReady(pod)) return undefined;
    const seed = createHash('sha256').update(pod.metadata.name).digest();
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        creationTimestamp: isoSeconds(),
        labels: pod.metadata.labels,
      },
      timestamp: isoSeconds(),
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

  // ------------------------------------------------------------- for the controller manager

  /** Every transition due by `now` (start, restart, removal). Returns whether any happened. */
  advance(now: number): boolean {
    let changed = false;
    for (const pod of this.cluster.list('Pod')) {
      const state = this.pods.get(objectKey(pod));
      if (!state || state.dueAt === undefined || state.dueAt > now) continue;
      changed = true;
      const t = this.cluster.instant ? Date.now() : now;
      if (state.phase === 'terminating') this.remove(pod);
      else if (state.phase === 'pending' || state.phase === 'blocked')
        this.start(pod, state, t);
      else if (state.phase === 'crashing') this.crash(pod, state, t);
    }
    return changed;
  }

  /** When the next transition is due (ms epoch), Infinity when none is. */
  nextDueAt(): number {
    let next = Infinity;
    for (const state of this.pods.values())
      if (state.dueAt !== undefined) next = Math.min(next, state.dueAt);
    return next;
  }

  /** Forget every pod, log and fault (the cluster is re-seeded); running pods stop first. */
  reset(): void {
    for (const [key, state] of this.pods) {
      if (state.phase !== 'ready') continue;
      const [namespace, name] = key.split('/');
      this.notifyStopped({ namespace, name, deployment: state.deployment });
    }
    this.logs.clear();
    this.pods.clear();
    this.faults.clear();
  }

  // ------------------------------------------------------------- for the world

  /** Set while the deployment's containers crash; `null` lets them start again. */
  setFault(namespace: string, deployment: string, fault: DeploymentFault) {
    const key = `${namespace}/${deployment}`;
    if (fault) this.faults.set(key, fault);
    else this.faults.delete(key);
    const now = Date.now();
    for (const pod of this.cluster.list('Pod', namespace)) {
      const state = this.pods.get(objectKey(pod));
      if (!state || state.deployment !== deployment) continue;
      if (fault === 'crashloop' && state.phase === 'ready')
        this.crash(pod, state, now);
      if (!fault && state.phase === 'crashing') {
        state.phase = 'pending';
        state.dueAt = now + Math.min(this.cluster.rolloutStepMs, 1000);
      }
    }
  }

  onStarted(listener: (pod: StartedPod) => void): () => void {
    this.startedListeners.add(listener);
    return () => this.startedListeners.delete(listener);
  }

  onStopped(listener: (pod: StoppedPod) => void): () => void {
    this.stoppedListeners.add(listener);
    return () => this.stoppedListeners.delete(listener);
  }

  runningPods(namespace: string, deployment: string): StartedPod[] {
    const out: StartedPod[] = [];
    for (const pod of this.cluster.list('Pod', namespace)) {
      const state = this.pods.get(objectKey(pod));
      if (state?.phase === 'ready' && state.deployment === deployment) {
        out.push({
          namespace,
          name: pod.metadata.name,
          deployment,
          env: { ...(state.env ?? {}) },
        });
      }
    }
    return out;
  }

  /** A line in the current log of the pod's first container. */
  appendLog(namespace: string, podName: string, line: string, time?: Date) {
    const pod = this.cluster.get('Pod', namespace, podName);
    const container = pod?.spec?.containers?.[0]?.name ?? 'app';
    this.logs.append(`${namespace}/${podName}`, container, line, time);
  }

  readLog(pod: KubeObject, container: string | undefined, q: LogQuery) {
    const podName = pod.metadata.name;
    const c = logContainer(pod, container);
    if (!c) {
      throw badRequest(
        `container ${container} is not valid for pod ${podName}`,
      );
    }
    const key = objectKey(pod);
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

  /** New lines of a container's log as they are written (after a `readLog` of the same). */
  followLog(
    pod: KubeObject,
    container: string | undefined,
    q: LogQuery,
    write: (chunk: string) => void,
  ): () => void {
    return this.logs.follow(
      objectKey(pod),
      logContainer(pod, container)!,
      q,
      write,
    );
  }

  // ------------------------------------------------------------- pod life

  private start(pod: KubeObject, state: PodState, now: number) {
    const ns = pod.metadata.namespace ?? '';
    if (
      state.deployment &&
      this.faults.get(`${ns}/${state.deployment}`) === 'crashloop'
    ) {
      this.crash(pod, state, now);
      return;
    }
    const resolved = resolvePodEnv(pod, this.cluster.nodeName, (n, name) => {
      const secret = this.cluster.get('Secret', n, name);
      return secret && decodeSecretData(secret);
    });
    if (resolved.error !== undefined) {
      state.phase = 'blocked';
      state.dueAt = now + this.cluster.rolloutStepMs;
      const wasBlocked = isBlocked(pod);
      this.cluster.put('Pod', blockedPod(pod, resolved.error));
      if (!wasBlocked)
        this.event(pod, 'Warning', 'Failed', `Error: ${resolved.error}`);
      return;
    }
    const env = resolved.env;
    const restarted =
      (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0;
    state.phase = 'ready';
    state.dueAt = undefined;
    state.env = env;
    this.cluster.put('Pod', runningPod(pod, now));
    if (!restarted) {
      const image = pod.spec?.containers?.[0]?.image;
      const cname = pod.spec?.containers?.[0]?.name;
      this.event(
        pod,
        'Normal',
        'Pulled',
        `Container image "${image}" already present on machine`,
      );
      this.event(pod, 'Normal', 'Created', `Created container: ${cname}`);
      this.event(pod, 'Normal', 'Started', `Started container ${cname}`);
    }
    const started: StartedPod = {
      namespace: ns,
      name: pod.metadata.name,
      deployment: state.deployment,
      env: { ...env },
    };
    for (const l of [...this.startedListeners]) safeCall(() => l(started));
  }

  /** The container dies (OOMKilled) and waits in CrashLoopBackOff; again at every restart. */
  private crash(pod: KubeObject, state: PodState, now: number) {
    const { name, uid } = pod.metadata;
    const ns = pod.metadata.namespace ?? '';
    const wasReady = state.phase === 'ready';
    state.phase = 'crashing';
    state.dueAt = now + this.cluster.crashLoopIntervalMs;
    this.cluster.put('Pod', crashedPod(pod, now));
    for (const c of pod.spec?.containers ?? [])
      this.logs.rotate(objectKey(pod), c.name);
    this.event(
      pod,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${mainContainer(
        pod,
      )} in pod ${name}_${ns}(${uid})`,
    );
    if (wasReady) this.fireStopped(pod, state.deployment);
  }

  /** The Deployment behind a pod's ReplicaSet, for a pod the kubelet has not started. */
  private deploymentOf(pod: KubeObject): string {
    const rsRef = (pod.metadata.ownerReferences ?? []).find(
      (r: any) => r.kind === 'ReplicaSet',
    );
    if (!rsRef) return '';
    const rs = this.cluster.get(
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

  private event(
    pod: KubeObject,
    type: ClusterEvent['type'],
    reason: string,
    message: string,
  ) {
    this.cluster.recordEvent({
      namespace: pod.metadata.namespace ?? '',
      kind: 'Pod',
      name: pod.metadata.name,
      type,
      reason,
      message,
      component: 'kubelet',
    });
  }

  private fireStopped(pod: KubeObject, deployment: string) {
    this.notifyStopped({
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name,
      deployment,
    });
  }

  private notifyStopped(stopped: StoppedPod) {
    for (const l of [...this.stoppedListeners]) safeCall(() => l(stopped));
  }
}

function mainContainer(pod: KubeObject): string {
  return pod.spec?.containers?.[0]?.name ?? 'app';
}

/** The container a log request names, or the first one when it names none. */
function logContainer(
  pod: KubeObject,
  container: string | undefined,
): string | undefined {
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  if (!container) return names[0];
  return names.includes(container) ? container : undefined;
}

function safeCall(fn: () => void) {
  try {
    fn();
  } catch (e) {
    // a listener's failure must not break the controllers
    console.error('kube store: a pod listener failed:', e);
  }
}
