/**
 * The deployment controller: one ReplicaSet per pod template (`<name>-<pod-template-hash>`,
 * revision annotations, rollback to an older template), rolled out within maxSurge and
 * maxUnavailable (or Recreate), old ReplicaSets kept up to `revisionHistoryLimit`, and the
 * Deployment's status.
 */
import { randomUUID } from 'crypto';
import type { ClusterState, PodLifecycle } from '../cluster';
import { templateHash } from '../names';
import { deepClone, isoSeconds, stableStringify } from '../objects';
import { KubeObject } from '../types';
import {
  deploymentStatus,
  maxSurge,
  maxUnavailable,
  withCondition,
} from './deploymentStatus';
import { activePods, ownedBy, readyCount } from './ownership';

const REVISION = 'deployment.kubernetes.io/revision';

const revisionOf = (rs: KubeObject) =>
  Number(rs.metadata.annotations?.[REVISION] ?? 0);

const replicasOf = (rs: KubeObject): number => rs.spec.replicas ?? 0;

/** The annotations a ReplicaSet carries about its Deployment's size. */
const sizeAnnotations = (dep: KubeObject) => ({
  'deployment.kubernetes.io/desired-replicas': String(dep.spec.replicas ?? 1),
  'deployment.kubernetes.io/max-replicas': String(
    (dep.spec.replicas ?? 1) + maxSurge(dep),
  ),
});

export class DeploymentController {
  constructor(
    private readonly cluster: ClusterState,
    private readonly pods: PodLifecycle,
  ) {}

  /** Move the deployment one step towards its template and size. Returns whether it did. */
  reconcile(initial: KubeObject): boolean {
    // re-read after our own writes (revision annotations, conditions)
    let dep = initial;
    const ns = dep.metadata.namespace ?? '';
    const rss = ownedBy(this.cluster, 'ReplicaSet', ns, dep.metadata.uid!);
    const hash = templateHash(dep.spec.template);
    let newRS = rss.find(
      rs => rs.metadata.labels?.['pod-template-hash'] === hash,
    );
    let changed = false;
    const maxRevision = Math.max(0, ...rss.map(revisionOf));
    if (!newRS) {
      if (dep.spec.paused) return false;
      newRS = this.createReplicaSet(dep, hash, maxRevision + 1);
      this.setRevision(dep, maxRevision + 1, {
        reason: 'NewReplicaSetCreated',
        message: `Created new replica set "${newRS.metadata.name}"`,
      });
      changed = true;
      dep = this.cluster.get('Deployment', ns, dep.metadata.name)!;
    } else if (revisionOf(newRS) < maxRevision) {
      // rollback to an older template: it becomes the newest revision again
      newRS = this.cluster.put('ReplicaSet', {
        ...newRS,
        metadata: {
          ...newRS.metadata,
          annotations: {
            ...newRS.metadata.annotations,
            [REVISION]: String(maxRevision + 1),
          },
        },
      });
      this.setRevision(dep, maxRevision + 1);
      dep = this.cluster.get('Deployment', ns, dep.metadata.name)!;
      changed = true;
    }
    if (dep.spec.paused) return changed;
    const current = newRS;
    const oldRSs = rss.filter(rs => rs.metadata.uid !== current.metadata.uid);
    const rolled =
      dep.spec.strategy?.type === 'Recreate'
        ? this.recreate(dep, newRS, oldRSs)
        : this.rollingUpdate(dep, newRS, oldRSs);
    return rolled || changed;
  }

  updateStatus(dep: KubeObject) {
    const ns = dep.metadata.namespace ?? '';
    const rss = ownedBy(this.cluster, 'ReplicaSet', ns, dep.metadata.uid!);
    const hash = templateHash(dep.spec.template);
    const newRS = rss.find(
      rs => rs.metadata.labels?.['pod-template-hash'] === hash,
    );
    const allPods = rss.flatMap(rs => activePods(this.cluster, rs));
    const newPods = newRS ? activePods(this.cluster, newRS) : [];
    const status = deploymentStatus(dep, {
      allPods: allPods.length,
      newPods: newPods.length,
      ready: readyCount(this.pods, allPods),
      newReady: readyCount(this.pods, newPods),
      specReplicas: rss.reduce((n, rs) => n + replicasOf(rs), 0),
      newReplicaSet: newRS?.metadata.name,
    });
    if (stableStringify(status) !== stableStringify(dep.status ?? {}))
      this.cluster.put('Deployment', { ...dep, status });
  }

  /** Recreate: every old pod goes before the new ReplicaSet scales up. */
  private recreate(dep: KubeObject, newRS: KubeObject, oldRSs: KubeObject[]) {
    const oldActive = oldRSs.filter(
      rs => replicasOf(rs) > 0 || activePods(this.cluster, rs).length > 0,
    );
    if (oldActive.length) {
      let changed = false;
      for (const rs of oldActive) if (this.scaleTo(rs, 0, dep)) changed = true;
      return changed;
    }
    return this.scaleTo(newRS, dep.spec.replicas ?? 1, dep);
  }

  private rollingUpdate(
    dep: KubeObject,
    initialNewRS: KubeObject,
    oldRSs: KubeObject[],
  ): boolean {
    const desired: number = dep.spec.replicas ?? 1;
    let newRS = initialNewRS;
    if (!oldRSs.some(rs => replicasOf(rs) > 0)) {
      const scaled = this.scaleTo(newRS, desired, dep);
      return this.cleanupOldReplicaSets(dep, oldRSs) || scaled;
    }
    let changed = false;
    const surge = maxSurge(dep);
    let unavailable = maxUnavailable(dep);
    if (surge === 0 && unavailable === 0) unavailable = 1;
    const specSum = () =>
      [newRS, ...oldRSs].reduce((n, rs) => n + replicasOf(rs), 0);
    const ready = (rs: KubeObject) =>
      readyCount(this.pods, activePods(this.cluster, rs));

    // scale the new ReplicaSet up within the surge
    const allowed = desired + surge - specSum();
    if (allowed > 0 && replicasOf(newRS) < desired) {
      newRS = this.setReplicas(
        newRS,
        Math.min(desired, replicasOf(newRS) + allowed),
        dep,
      );
      changed = true;
    }

    // scale old ReplicaSets down while keeping the minimum available
    const minAvailable = desired - unavailable;
    const newUnavailable = Math.max(0, replicasOf(newRS) - ready(newRS));
    const maxScaledDown = specSum() - minAvailable - newUnavailable;
    if (maxScaledDown > 0) {
      // unhealthy old replicas go first
      const unhealthyGone = this.scaleDownOld(
        dep,
        oldRSs,
        maxScaledDown,
        rs => replicasOf(rs) - ready(rs),
      );
      const available = [newRS, ...oldRSs].reduce(
        (n, rs) => n + Math.min(replicasOf(rs), ready(rs)),
        0,
      );
      const healthyGone = this.scaleDownOld(
        dep,
        oldRSs,
        Math.min(available - minAvailable, maxScaledDown - unhealthyGone),
        replicasOf,
      );
      if (unhealthyGone + healthyGone > 0) changed = true;
    }
    return changed;
  }

  /**
   * Take up to `budget` replicas off the old ReplicaSets in order, at most `room(rs)` from
   * each; `oldRSs` is updated in place. Returns how many went.
   */
  private scaleDownOld(
    dep: KubeObject,
    oldRSs: KubeObject[],
    budget: number,
    room: (rs: KubeObject) => number,
  ): number {
    let left = budget;
    for (let i = 0; i < oldRSs.length && left > 0; i++) {
      const rs = oldRSs[i];
      const n = Math.min(room(rs), left);
      if (n > 0) {
        oldRSs[i] = this.setReplicas(rs, replicasOf(rs) - n, dep);
        left -= n;
      }
    }
    return Math.max(0, budget - left);
  }

  private createReplicaSet(
    dep: KubeObject,
    hash: string,
    revision: number,
  ): KubeObject {
    const template = deepClone(dep.spec.template);
    template.metadata = {
      ...(template.metadata ?? {}),
      labels: {
        ...(template.metadata?.labels ?? {}),
        'pod-template-hash': hash,
      },
    };
    return this.cluster.put('ReplicaSet', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${dep.metadata.name}-${hash}`,
        namespace: dep.metadata.namespace ?? '',
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: isoSeconds(),
        labels: template.metadata.labels,
        annotations: {
          ...sizeAnnotations(dep),
          [REVISION]: String(revision),
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
  }

  /** Scale `rs` to `replicas` unless it is there already. Returns whether it scaled. */
  private scaleTo(rs: KubeObject, replicas: number, dep: KubeObject): boolean {
    if (replicasOf(rs) === replicas) return false;
    this.setReplicas(rs, replicas, dep);
    return true;
  }

  private setReplicas(
    rs: KubeObject,
    replicas: number,
    dep: KubeObject,
  ): KubeObject {
    const from = replicasOf(rs);
    if (from === replicas) return rs;
    const updated = this.cluster.put('ReplicaSet', {
      ...rs,
      metadata: {
        ...rs.metadata,
        annotations: {
          ...(rs.metadata.annotations ?? {}),
          ...sizeAnnotations(dep),
        },
      },
      spec: { ...rs.spec, replicas },
    });
    if (!this.cluster.instant || from !== 0) {
      this.cluster.recordEvent({
        namespace: dep.metadata.namespace ?? '',
        kind: 'Deployment',
        name: dep.metadata.name,
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${
          rs.metadata.name
        } from ${from} to ${replicas}`,
        component: 'deployment-controller',
      });
    }
    return updated;
  }

  /** Idle old ReplicaSets beyond `revisionHistoryLimit` go, oldest revision first. */
  private cleanupOldReplicaSets(
    dep: KubeObject,
    oldRSs: KubeObject[],
  ): boolean {
    const limit = dep.spec.revisionHistoryLimit ?? 10;
    const idle = oldRSs
      .filter(
        rs =>
          replicasOf(rs) === 0 &&
          ownedBy(
            this.cluster,
            'Pod',
            rs.metadata.namespace ?? '',
            rs.metadata.uid!,
          ).length === 0,
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    let changed = false;
    while (idle.length > limit) {
      this.cluster.remove('ReplicaSet', idle.shift()!);
      changed = true;
    }
    return changed;
  }

  private setRevision(
    dep: KubeObject,
    revision: number,
    progressing?: { reason: string; message: string },
  ) {
    const current = this.cluster.get(
      'Deployment',
      dep.metadata.namespace ?? '',
      dep.metadata.name,
    )!;
    const status = deepClone(current.status ?? {});
    if (progressing)
      status.conditions = withCondition(
        status.conditions,
        'Progressing',
        'True',
        progressing.reason,
        progressing.message,
      );
    this.cluster.put('Deployment', {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: {
          ...(current.metadata.annotations ?? {}),
          [REVISION]: String(revision),
        },
      },
      status,
    });
  }
}
