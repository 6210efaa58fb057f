/**
 * ownerReferences as the controllers read them: what a controller owns, and the garbage
 * collector that takes away what lost its owner (a deleted Deployment's ReplicaSets and pods).
 */
import type { ClusterState, PodLifecycle } from '../cluster';
import { KubeObject } from '../types';

/** Objects of `kind` whose controller reference points at `uid`. */
export function ownedBy(
  cluster: ClusterState,
  kind: string,
  namespace: string,
  uid: string,
): KubeObject[] {
  return cluster
    .list(kind, namespace)
    .filter(o =>
      (o.metadata.ownerReferences ?? []).some(
        (r: any) => r.uid === uid && r.controller,
      ),
    );
}

/** A ReplicaSet's pods that are not being deleted. */
export function activePods(
  cluster: ClusterState,
  rs: KubeObject,
): KubeObject[] {
  return ownedBy(
    cluster,
    'Pod',
    rs.metadata.namespace ?? '',
    rs.metadata.uid!,
  ).filter(p => !p.metadata.deletionTimestamp);
}

export const readyCount = (pods: PodLifecycle, of: KubeObject[]): number =>
  of.filter(p => pods.isReady(p)).length;

/** Dependents whose controller is gone (or replaced by a new object of the same name) go too. */
export function collectGarbage(cluster: ClusterState, pods: PodLifecycle) {
  for (const kind of ['ReplicaSet', 'Pod']) {
    for (const o of cluster.list(kind)) {
      const owner = (o.metadata.ownerReferences ?? []).find(
        (r: any) => r.controller,
      );
      if (!owner) continue;
      const ownerObj = cluster.get(
        owner.kind,
        o.metadata.namespace ?? '',
        owner.name,
      );
      if (!ownerObj || ownerObj.metadata.uid !== owner.uid) {
        if (kind === 'Pod') pods.terminate(o, Date.now());
        else cluster.remove(kind, o);
      }
    }
  }
}
