import type {
  DeploymentFault,
  KubeObject,
  KubeSeed,
  KubeStore,
  KubeWriteRecord,
  StartedPod,
} from '../kube/types';

/**
 * A minimal KubeStore for unit tests of the world (no HTTP, no rollouts): pods start at once with
 * their env resolved from the Secret, and `restartDeployment` replaces them like a finished rollout.
 */
export class FakeKubeStore implements KubeStore {
  private seed?: KubeSeed;
  private secrets = new Map<string, Record<string, string>>();
  private pods = new Map<string, StartedPod>();
  private faults = new Map<string, DeploymentFault>();
  private envOverrides = new Map<string, Record<string, string>>();
  readonly logs = new Map<string, string[]>();
  readonly events: Array<{
    namespace: string;
    reason: string;
    message: string;
  }> = [];
  private started = new Set<(pod: StartedPod) => void>();
  private stopped = new Set<
    (pod: { namespace: string; name: string; deployment: string }) => void
  >();
  private counter = 0;

  reset(seed: KubeSeed): void {
    for (const p of [...this.pods.values()]) this.stopPod(p);
    this.seed = seed;
    this.secrets.clear();
    this.faults.clear();
    this.envOverrides.clear();
    this.logs.clear();
    for (const s of seed.secrets)
      this.secrets.set(`${s.namespace}/${s.name}`, { ...s.data });
    for (const d of seed.deployments) this.startPods(d.namespace, d.name);
  }

  /** Test helper: change env literals of a deployment and replace its pods (a completed rollout). */
  restartDeployment(
    namespace: string,
    name: string,
    env: Record<string, string> = {},
  ) {
    const key = `${namespace}/${name}`;
    this.envOverrides.set(key, {
      ...(this.envOverrides.get(key) ?? {}),
      ...env,
    });
    for (const p of [...this.pods.values()])
      if (p.namespace === namespace && p.deployment === name) this.stopPod(p);
    this.startPods(namespace, name);
  }

  private startPods(namespace: string, name: string) {
    const d = this.seed?.deployments.find(
      x => x.namespace === namespace && x.name === name,
    );
    if (!d || this.faults.get(`${namespace}/${name}`)) return;
    for (let i = 0; i < d.replicas; i++) {
      const env: Record<string, string> = {};
      for (const e of d.env) {
        if ('value' in e) env[e.name] = e.value;
        else
          env[e.name] =
            this.secrets.get(`${namespace}/${e.valueFrom.secretKeyRef.name}`)?.[
              e.valueFrom.secretKeyRef.key
            ] ?? '';
      }
      Object.assign(env, this.envOverrides.get(`${namespace}/${name}`) ?? {});
      const pod: StartedPod = {
        namespace,
        name: `${name}-${++this.counter}`,
        deployment: name,
        env,
      };
      this.pods.set(`${namespace}/${pod.name}`, pod);
      for (const l of this.started) l(pod);
    }
  }

  private stopPod(p: StartedPod) {
    this.pods.delete(`${p.namespace}/${p.name}`);
    for (const l of this.stopped)
      l({ namespace: p.namespace, name: p.name, deployment: p.deployment });
  }

  getObject(): KubeObject | undefined {
    return undefined;
  }
  listObjects(): KubeObject[] {
    return [];
  }
  getSecretData(namespace: string, name: string) {
    const d = this.secrets.get(`${namespace}/${name}`);
    return d ? { ...d } : undefined;
  }
  setSecretData(namespace: string, name: string, data: Record<string, string>) {
    this.secrets.set(`${namespace}/${name}`, { ...data });
  }
  setDeploymentFault(
    namespace: string,
    deployment: string,
    fault: DeploymentFault,
  ) {
    this.faults.set(`${namespace}/${deployment}`, fault);
    if (fault)
      for (const p of [...this.pods.values()])
        if (p.namespace === namespace && p.deployment === deployment)
          this.stopPod(p);
  }
  appendPodLog(namespace: string, pod: string, line: string) {
    const key = `${namespace}/${pod}`;
    this.logs.set(key, [...(this.logs.get(key) ?? []), line]);
  }
  addEvent(namespace: string, event: { reason: string; message: string }) {
    this.events.push({
      namespace,
      reason: event.reason,
      message: event.message,
    });
  }
  onPodStarted(listener: (pod: StartedPod) => void) {
    this.started.add(listener);
    return () => this.started.delete(listener);
  }
  onPodStopped(
    listener: (pod: {
      namespace: string;
      name: string;
      deployment: string;
    }) => void,
  ) {
    this.stopped.add(listener);
    return () => this.stopped.delete(listener);
  }
  runningPods(namespace: string, deployment: string): StartedPod[] {
    return [...this.pods.values()]
      .filter(p => p.namespace === namespace && p.deployment === deployment)
      .map(p => ({ ...p, env: { ...p.env } }));
  }
  writes(): KubeWriteRecord[] {
    return [];
  }
  clearWrites() {}
  close() {}
}
