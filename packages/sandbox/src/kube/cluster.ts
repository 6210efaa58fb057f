/**
 * The narrow view of the cluster that the controllers and the kubelet work through: stored
 * objects by kind, events, and the pacing of the simulation. They never see the API server's
 * write path (validation, dry run, the write log) nor each other's internals.
 */
import { recordEvent } from './events';
import { ObjectTable } from './objects';
import { KubeObject } from './types';

export interface ClusterEvent {
  namespace: string;
  /** The kind and name of the object the event is about. */
  kind: string;
  name: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The reporting component (`kubelet`, `deployment-controller` ...). Default `sandbox`. */
  component?: string;
}

export interface ClusterState {
  /** The one node every pod runs on. */
  readonly nodeName: string;
  /** Time between rollout steps (a new pod becoming ready, an old one going). */
  readonly rolloutStepMs: number;
  /** Time between restarts of a crash-looping container. */
  readonly crashLoopIntervalMs: number;
  /** While seeding: every transition is due at once and routine events are not recorded. */
  readonly instant: boolean;

  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  list(kind: string, namespace?: string): KubeObject[];
  /** Store an object (a new resourceVersion; watchers see it). */
  put(kind: string, obj: KubeObject): KubeObject;
  remove(kind: string, obj: KubeObject): void;
  /** An Event about an object; the same reason and message again counts up. */
  recordEvent(event: ClusterEvent): void;
}

/** What the controllers ask of the kubelet about the pods they own. */
export interface PodLifecycle {
  /** Running and ready (a crashing, starting or terminating pod is not). */
  isReady(pod: KubeObject): boolean;
  /** Take a new pod: stored Pending, it starts one rollout step later. */
  admit(pod: KubeObject, deployment?: string): void;
  /** Graceful deletion: Terminating now, gone one rollout step later. */
  terminate(pod: KubeObject, now: number): void;
}

export interface ClusterOptions {
  nodeName: string;
  rolloutStepMs: number;
  crashLoopIntervalMs: number;
}

/** `ClusterState` over the object table. */
export class TableCluster implements ClusterState {
  readonly nodeName: string;
  readonly rolloutStepMs: number;
  readonly crashLoopIntervalMs: number;
  instant = false;

  constructor(private readonly table: ObjectTable, options: ClusterOptions) {
    this.nodeName = options.nodeName;
    this.rolloutStepMs = options.rolloutStepMs;
    this.crashLoopIntervalMs = options.crashLoopIntervalMs;
  }

  get(kind: string, namespace: string, name: string) {
    return this.table.get(kind, namespace, name);
  }

  list(kind: string, namespace?: string) {
    return this.table.list(kind, namespace);
  }

  put(kind: string, obj: KubeObject) {
    return this.table.put(kind, obj);
  }

  remove(kind: string, obj: KubeObject) {
    this.table.remove(kind, obj.metadata.namespace ?? '', obj.metadata.name);
  }

  recordEvent(event: ClusterEvent) {
    recordEvent(this.table, this.nodeName, event);
  }
}
