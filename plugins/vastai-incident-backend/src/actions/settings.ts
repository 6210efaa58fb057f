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
  return {
    enabled: c?.getOptionalBoolean('actionsEnabled') ?? false,
    cooldownMs: seconds('cooldownSeconds', 60, 0),
    verifyTimeoutMs: seconds('verifyTimeoutSeconds', 180, 1),
    verifyPollMs: seconds('verifyPollSeconds', 2, 0.05),
    requireSecondApprovalForKeyRotation:
      c?.getOptionalBoolean('actions.requireSecondApprovalForKeyRotation') ??
      false,
  };
}
