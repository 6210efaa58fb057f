import type { Config } from '@backstage/config';
import { configError } from '../config/checks';

/** `vastaiIncident.actionsEnabled` and `vastaiIncident.actions.*` (declared in config.d.ts). */
export interface ActionSettings {
  /** Off: dry runs only (`vastaiIncident.actionsEnabled`). */
  enabled: boolean;
  /** Minimum time after any action on a deployment before the next one on it. */
  cooldownMs: number;
  /** Deadline for rollout + recovery of the triggering signal. */
  verifyTimeoutMs: number;
  /** How often the rollout and the signals are read while verifying. */
  verifyPollMs: number;
  /** `rotate-api-key` waits for a second person's approval. */
  requireSecondApprovalForKeyRotation: boolean;
  /** How long a run waits for that approval before it ends `rejected` (`approval-expired`). */
  approvalTimeoutMs: number;
  /**
   * A running run's lease: its replica renews it every `heartbeatMs`; once it has not been
   * renewed for this long, any replica ends the run `interrupted` and frees its deployment.
   */
  runLeaseMs: number;
  /** How often the lease is renewed: a third of the lease, at most every 5 s. */
  heartbeatMs: number;
  /** How often each replica looks for runs whose lease ran out, and for expired approvals. */
  sweepIntervalMs: number;
}

export function readActionSettings(root: Config): ActionSettings {
  const c = root.getOptionalConfig('vastaiIncident');
  const seconds = (key: string, fallback: number, min: number) => {
    const value = c?.getOptionalNumber(`actions.${key}`);
    if (value === undefined) return fallback * 1000;
    if (!Number.isFinite(value) || value < min) {
      throw configError(`actions.${key}`, `must be a number >= ${min}`);
    }
    return value * 1000;
  };
  const runLeaseMs = seconds('runLeaseSeconds', 30, 1);
  return {
    enabled: c?.getOptionalBoolean('actionsEnabled') ?? false,
    cooldownMs: seconds('cooldownSeconds', 60, 0),
    verifyTimeoutMs: seconds('verifyTimeoutSeconds', 180, 1),
    verifyPollMs: seconds('verifyPollSeconds', 2, 0.05),
    requireSecondApprovalForKeyRotation:
      c?.getOptionalBoolean('actions.requireSecondApprovalForKeyRotation') ??
      false,
    approvalTimeoutMs: seconds('approvalTimeoutMinutes', 60, 1 / 60) * 60,
    runLeaseMs,
    heartbeatMs: Math.min(5000, Math.round(runLeaseMs / 3)),
    sweepIntervalMs: seconds('sweepIntervalSeconds', 10, 0.1),
  };
}
