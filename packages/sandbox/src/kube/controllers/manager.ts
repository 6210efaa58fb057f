/**
 * The controller manager: runs the kubelet's due transitions, then the deployment and
 * ReplicaSet controllers until they settle, then their status updates, on a timer armed for
 * the next due transition. The garbage collector runs when an owner is deleted.
 */
import type { ClusterState, PodLifecycle } from '../cluster';
import { DeploymentController } from './deployment';
import { collectGarbage } from './ownership';
import { ReplicaSetController } from './replicaSet';

/** The kubelet as the controller manager drives it. */
export interface NodeAgent extends PodLifecycle {
  /** Every transition due by `now`. Returns whether any happened. */
  advance(now: number): boolean;
  /** When the next transition is due (ms epoch), Infinity when none is. */
  nextDueAt(): number;
}

/** Controller passes it takes at most for one change to settle (deployment -> RS -> pods). */
const SETTLE_PASSES = 3;
/** Passes a re-seed runs at once, so the seeded world starts fully rolled out. */
const SEED_PASSES = 20;

export class ControllerManager {
  private readonly deployments: DeploymentController;
  private readonly replicaSets: ReplicaSetController;
  private timer?: NodeJS.Timeout;
  private timerDueAt = Infinity;
  private closed = false;

  constructor(
    private readonly cluster: ClusterState,
    private readonly kubelet: NodeAgent,
  ) {
    this.deployments = new DeploymentController(cluster, kubelet);
    this.replicaSets = new ReplicaSetController(cluster, kubelet);
  }

  /** Run a pass after `delayMs` (or sooner, if one is already due sooner). */
  schedule(delayMs: number) {
    if (this.closed || this.cluster.instant) return;
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
        this.schedule(this.cluster.rolloutStepMs);
      }
    }, Math.max(0, delayMs));
    this.timer.unref?.();
  }

  clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }

  /** Passes until nothing changes (while the cluster is `instant`, every transition is due). */
  settle() {
    for (let i = 0; i < SEED_PASSES && this.tick(); i++);
  }

  /** An owner was deleted: its dependents go. */
  collectGarbage() {
    collectGarbage(this.cluster, this.kubelet);
  }

  close() {
    this.closed = true;
    this.clearTimer();
  }

  /** One controller pass. Returns whether anything changed. */
  private tick(): boolean {
    if (this.closed) return false;
    const now = this.cluster.instant ? Infinity : Date.now();
    let changed = this.kubelet.advance(now);
    for (let i = 0; i < SETTLE_PASSES; i++) {
      let c = false;
      for (const d of this.cluster.list('Deployment'))
        c = this.deployments.reconcile(d) || c;
      for (const rs of this.cluster.list('ReplicaSet'))
        c = this.replicaSets.reconcile(rs) || c;
      changed = changed || c;
      if (!c) break;
    }
    for (const rs of this.cluster.list('ReplicaSet'))
      this.replicaSets.updateStatus(rs);
    for (const d of this.cluster.list('Deployment'))
      this.deployments.updateStatus(d);
    const next = this.kubelet.nextDueAt();
    if (next !== Infinity) this.schedule(next - Date.now());
    return changed;
  }
}
