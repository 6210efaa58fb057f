import type { WriteGates } from './writeGates';
/**
 * The contract between the simulated Kubernetes API (src/kube) and the rest of the sandbox
 * (src/world). The world drives the cluster only through this interface.
 */

/** A Kubernetes object as JSON (metadata, spec, status ...). */
export type KubeObject = Record<string, any> & {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    [key: string]: any;
  };
};

/** One write that reached the API server over HTTP (the sandbox's own seeding is not recorded). */
export interface KubeWriteRecord {
  at: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** e.g. 'deployments', 'secrets' */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  dryRun: boolean;
  /** Content-Type of a PATCH: strategic-merge, merge or json patch. */
  contentType?: string;
  /** The request body as received (secret values masked). */
  body: unknown;
  userAgent?: string;
  /** The HTTP status answered. */
  status: number;
}

/** A pod as the world sees it when it starts: its name and its fully resolved environment. */
export interface StartedPod {
  namespace: string;
  name: string;
  /** The Deployment that owns it (through its ReplicaSet). */
  deployment: string;
  /** Container env with `valueFrom.secretKeyRef` resolved from the Secret at start time. */
  env: Record<string, string>;
}

/** A pod that stopped (a rollout replaced it, it crashed, or it was deleted). */
export type StoppedPod = Pick<StartedPod, 'namespace' | 'name' | 'deployment'>;

/** An Event a caller records about an object. */
export interface KubeEventInput {
  involvedObject: { kind: string; name: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type DeploymentFault = 'crashloop' | null;

export interface KubeStore {
  /** Test knobs on the write path: hold or fail the next matching writes (the real API server). */
  readonly gates?: WriteGates;

  /** Seed the default world (namespace `vastai`, the two deployments, their Secrets). */
  reset(seed: KubeSeed): void;

  getObject(
    kind: string,
    namespace: string,
    name: string,
  ): KubeObject | undefined;
  listObjects(
    kind: string,
    namespace: string,
    labelSelector?: Record<string, string>,
  ): KubeObject[];

  /** Decoded Secret data, or undefined. */
  getSecretData(
    namespace: string,
    name: string,
  ): Record<string, string> | undefined;
  /** Sandbox-side change of a Secret (not recorded as a write). */
  setSecretData(
    namespace: string,
    name: string,
    data: Record<string, string>,
  ): void;

  /** New and existing pods of the deployment crash (CrashLoopBackOff, OOMKilled) while set. */
  setDeploymentFault(
    namespace: string,
    deployment: string,
    fault: DeploymentFault,
  ): void;

  /** Append a log line to a pod's current container log. */
  appendPodLog(namespace: string, pod: string, line: string, time?: Date): void;

  /** Record an Event (e.g. Warning BackOff) about an object. */
  addEvent(namespace: string, event: KubeEventInput): void;

  /** Called when a pod becomes Running and Ready (its env resolved at that moment). */
  onPodStarted(listener: (pod: StartedPod) => void): () => void;
  /** Called when a pod stops (rollout replaced it, or it crashed). */
  onPodStopped(listener: (pod: StoppedPod) => void): () => void;

  /** Ready pods of a deployment now, with their resolved env at start. */
  runningPods(namespace: string, deployment: string): StartedPod[];

  writes(): KubeWriteRecord[];
  clearWrites(): void;

  /** Stop timers (rollout progress, crash loops). */
  close(): void;
}

export interface KubeSeed {
  namespaces: string[];
  secrets: Array<{
    namespace: string;
    name: string;
    data: Record<string, string>;
  }>;
  deployments: Array<{
    namespace: string;
    name: string;
    replicas: number;
    image: string;
    labels?: Record<string, string>;
    env: Array<
      | { name: string; value: string }
      | {
          name: string;
          valueFrom: { secretKeyRef: { name: string; key: string } };
        }
    >;
  }>;
}
