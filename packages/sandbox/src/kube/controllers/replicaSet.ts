/**
 * The ReplicaSet controller: keeps as many pods as `spec.replicas` asks (new ones named
 * `<rs>-<5 chars>`, not-ready and newest ones removed first) and reports them in the status.
 */
import { randomUUID } from 'crypto';
import type { ClusterState, PodLifecycle } from '../cluster';
import { randomSuffix } from '../names';
import { deepClone, isoSeconds, stableStringify } from '../objects';
import { KubeObject } from '../types';
import { activePods, readyCount } from './ownership';

/** What the scheduler tolerates by default: a node that is not ready or unreachable for 5 min. */
const DEFAULT_TOLERATIONS = [
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
];

export class ReplicaSetController {
  constructor(
    private readonly cluster: ClusterState,
    private readonly pods: PodLifecycle,
  ) {}

  /** Create or remove pods towards `spec.replicas`. Returns whether it did. */
  reconcile(rs: KubeObject): boolean {
    const ns = rs.metadata.namespace ?? '';
    const pods = activePods(this.cluster, rs);
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
      const rank = (p: KubeObject) => (this.pods.isReady(p) ? 1 : 0);
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
        this.pods.terminate(p, Date.now());
        if (!this.cluster.instant)
          this.event(
            ns,
            rs,
            'SuccessfulDelete',
            `Deleted pod: ${p.metadata.name}`,
          );
      }
      return true;
    }
    return false;
  }

  updateStatus(rs: KubeObject) {
    const pods = activePods(this.cluster, rs);
    const ready = readyCount(this.pods, pods);
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
      this.cluster.put('ReplicaSet', { ...rs, status });
  }

  private createPod(rs: KubeObject, deployment: string) {
    const ns = rs.metadata.namespace ?? '';
    const nodeName = this.cluster.nodeName;
    let name = `${rs.metadata.name}-${randomSuffix()}`;
    while (this.cluster.get('Pod', ns, name))
      name = `${rs.metadata.name}-${randomSuffix()}`;
    const template = deepClone(rs.spec.template ?? {});
    const serviceAccount = template.spec?.serviceAccountName ?? 'default';
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${rs.metadata.name}-`,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: isoSeconds(),
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
      spec: {
        ...template.spec,
        nodeName,
        serviceAccountName: serviceAccount,
        serviceAccount,
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
        tolerations: template.spec?.tolerations ?? DEFAULT_TOLERATIONS,
      },
    };
    this.pods.admit(pod, deployment);
    if (!this.cluster.instant) {
      this.event(ns, rs, 'SuccessfulCreate', `Created pod: ${name}`);
      this.cluster.recordEvent({
        namespace: ns,
        kind: 'Pod',
        name,
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${ns}/${name} to ${nodeName}`,
        component: 'default-scheduler',
      });
    }
  }

  private event(ns: string, rs: KubeObject, reason: string, message: string) {
    this.cluster.recordEvent({
      namespace: ns,
      kind: 'ReplicaSet',
      name: rs.metadata.name,
      type: 'Normal',
      reason,
      message,
      component: 'replicaset-controller',
    });
  }
}
