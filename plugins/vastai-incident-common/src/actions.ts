import type { ActionId } from './types';

// The remediation routes' wire shapes, shared by the backend and the frontend.

/**
 * Where a run is. `dry-run` and `rejected` end at once; the others after apply and verify.
 * `interrupted`: the backend replica running it stopped (its lease ran out) before it ended;
 * another replica ended it, listing the steps that happened and what is left to clean up.
 */
export type ActionRunStatus =
  | 'dry-run'
  | 'rejected'
  | 'awaiting-approval'
  | 'running'
  | 'succeeded'
  | 'unverified'
  | 'failed'
  | 'interrupted';

/** One step of an apply that happened (a vendor key created, a Secret written ...). */
export interface ActionStep {
  at: string;
  /** e.g. `new-key-created`, `secret-written`, `restart-written`, `old-key-deleted` */
  step: string;
  /** Words for people; never a secret value (a vendor key id at most). */
  detail?: string;
}

export type ActionPhase =
  | 'authorized'
  | 'dry-run'
  | 'applying'
  | 'rolling-out'
  | 'verifying'
  | 'restoring'
  | 'done';

/** One line of a readable diff; secret values are always `********`. */
export interface ActionDiffLine {
  /** e.g. `Deployment vastai/vastai-integration` */
  object: string;
  /** e.g. `spec.template.spec.containers[app].env[RATE_LIMIT_MODE]` */
  path: string;
  before: string | null;
  after: string | null;
  secret?: boolean;
}

export interface ActionVerification {
  rolloutComplete: boolean;
  /** The signal that triggered the action, as last seen. */
  signal?: string;
  recovered: boolean;
  evidence: string[];
  deadlineSeconds: number;
  elapsedMs: number;
}

/** A run as the API answers it and the history lists it. Never carries a secret value. */
export interface ActionRun {
  runId: string;
  entityRef: string;
  integration: string;
  actionId: ActionId;
  dryRun: boolean;
  actor: string;
  /** With `requireSecondApprovalForKeyRotation`: who approved (a different user). */
  approvedBy?: string;
  status: ActionRunStatus;
  phase: ActionPhase;
  /** Why it ended as it did (failed, unverified, rejected), or what was done. */
  reason?: string;
  /** `conflict` when the Secret changed underneath (409), `busy`, `cooldown`, `disabled` ... */
  code?: string;
  diff: ActionDiffLine[];
  /** The values the action replaced (what its revert restores); secrets masked. */
  previous?: Record<string, string | null>;
  verification?: ActionVerification;
  /** The steps of the apply that happened, in order, as they happened. */
  steps?: ActionStep[];
  /** `rotate-api-key`: the Vast.ai id of the key this run created (never the key itself). */
  newKeyId?: number;
  /** What an interrupted run left behind for people to clean up (key ids, never keys). */
  cleanup?: string[];
  idempotencyKey?: string;
  startedAt: string;
  finishedAt?: string;
}

/** One audit row as the history route lists it. */
export interface ActionAuditEntry {
  id: number;
  runId?: string;
  actor: string;
  entityRef: string;
  integration?: string;
  actionId: string;
  dryRun: boolean;
  outcome: string;
  reason?: string;
  diff?: ActionDiffLine[];
  previous?: Record<string, string | null>;
  verification?: ActionVerification;
  steps?: ActionStep[];
  cleanup?: string[];
  idempotencyKey?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** `GET .../actions/history`. */
export interface ActionHistory {
  entityRef: string;
  entries: ActionAuditEntry[];
}
