import { randomUUID } from 'node:crypto';
import type {
  AuditorService,
  AuditorServiceEvent,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import type { ActionId } from '@vastai-incident/backstage-plugin-common';
import type { Request } from 'express';
import type { ActionContext, RunActionRequest } from './context';
import type { AuditRowInput } from './store';
import type { ActionRun } from './types';

/** Outcomes decided before anything was read or planned: their audit rows carry no changes. */
const DECIDED_BEFORE_PLANNING = new Set([
  'denied',
  'rejected',
  'awaiting-approval',
]);

/** What an audit row is about: a run, or a request refused before it had one. */
export type AuditSubject = Pick<
  ActionRun,
  'actor' | 'entityRef' | 'actionId' | 'dryRun' | 'idempotencyKey'
> &
  Partial<ActionRun>;

export function userOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
  };
  return principal?.type === 'user' && principal.userEntityRef
    ? principal.userEntityRef
    : 'unknown';
}

/** What an action's auditor event names: the action, on which entity, by whom, which run. */
export interface ActionEventSubject {
  actionId: ActionId;
  entityRef: string;
  dryRun: boolean;
  /** The caller (the approver, for an approval); for a run the sweeper ends, who asked for it. */
  actor: string;
  runId?: string;
  approvedBy?: string;
  /** The HTTP request, when there is one (not for a run the sweeper ends). */
  request?: Request;
}

/**
 * The one auditor event of an action, for every path that starts one (a refusal, a dry run, an
 * apply, a run ended by another replica): one event id per action, a key rotation at `high`.
 * The actor is in the meta too, for events without a request.
 */
export function actionAuditEvent(
  auditor: AuditorService,
  subject: ActionEventSubject,
): Promise<AuditorServiceEvent> {
  const { actionId, request } = subject;
  return auditor.createEvent({
    eventId: actionId,
    severityLevel: actionId === 'rotate-api-key' ? 'high' : 'medium',
    request,
    meta: {
      actor: subject.actor,
      entityRef: subject.entityRef,
      actionId,
      dryRun: subject.dryRun,
      ...(subject.runId ? { runId: subject.runId } : {}),
      ...(subject.approvedBy ? { approvedBy: subject.approvedBy } : {}),
    },
  });
}

/** The record of a run as it starts: a dry run, or an apply that is authorized and not begun. */
export function newRun(
  req: RunActionRequest,
  startedAt: number,
  dryRun: boolean,
): ActionRun {
  return {
    runId: randomUUID(),
    entityRef: req.entityRef,
    integration: req.integration.name,
    actionId: req.actionId,
    dryRun,
    actor: userOf(req.credentials),
    status: dryRun ? 'dry-run' : 'running',
    phase: dryRun ? 'dry-run' : 'authorized',
    diff: [],
    idempotencyKey: req.idempotencyKey,
    startedAt: new Date(startedAt).toISOString(),
  };
}

/** The one audit row shape, for every outcome. */
export function auditRow(
  subject: AuditSubject,
  outcome: string,
  span: { reason?: string; startedAt: number; finishedAt?: number },
): AuditRowInput {
  const changes = !DECIDED_BEFORE_PLANNING.has(outcome);
  return {
    runId: subject.runId,
    actor: subject.actor,
    entityRef: subject.entityRef,
    integration: subject.integration,
    actionId: subject.actionId,
    dryRun: subject.dryRun,
    outcome,
    reason: span.reason,
    ...(changes
      ? {
          diff: subject.diff,
          previous: subject.previous,
          verification: subject.verification,
          steps: subject.steps,
          cleanup: subject.cleanup,
        }
      : {}),
    idempotencyKey: subject.idempotencyKey,
    startedAt: span.startedAt,
    finishedAt: span.finishedAt ?? Date.now(),
  };
}

/** Appends the audit row, with the `onAudit` hook in its transaction. */
export async function appendAuditRow(
  ctx: ActionContext,
  subject: AuditSubject,
  outcome: string,
  span: { reason?: string; startedAt: number; finishedAt?: number },
): Promise<void> {
  await ctx.store.appendAudit(auditRow(subject, outcome, span), ctx.onAudit);
}

/**
 * Records a step of an apply as soon as it happened (a key created, a Secret written ...), in
 * the stored run, so that if this replica dies the replica that ends the run knows it happened.
 */
export async function recordStep(
  ctx: ActionContext,
  run: ActionRun,
  step: string,
  detail?: string,
): Promise<void> {
  run.steps = [
    ...(run.steps ?? []),
    { at: new Date().toISOString(), step, ...(detail ? { detail } : {}) },
  ];
  await ctx.store.saveRun(run);
}

/** The steps of a run in words, for a reason. */
export function describeSteps(run: ActionRun): string {
  const steps = run.steps ?? [];
  return steps.length === 0
    ? 'no step was recorded as done'
    : steps.map(s => s.detail ?? s.step).join('; ');
}

/** Ends a run refused before it changed anything (busy, cooldown): stored, audited, event failed. */
export async function rejectRun(
  ctx: ActionContext,
  run: ActionRun,
  event: AuditorServiceEvent,
  code: string,
  reason: string,
): Promise<void> {
  run.status = 'rejected';
  run.phase = 'done';
  run.code = code;
  run.reason = reason;
  run.finishedAt = new Date().toISOString();
  await ctx.store.saveRun(run);
  await appendAuditRow(ctx, run, 'rejected', {
    reason,
    startedAt: Date.parse(run.startedAt),
  });
  await event.fail({
    error: new Error(reason),
    meta: { status: 'rejected', code },
  });
}

/** Ends an applied run: stored result, audit row, lock released, auditor event, log line. */
export async function finishRun(
  ctx: ActionContext,
  run: ActionRun,
  event: AuditorServiceEvent,
  startedAt: number,
): Promise<void> {
  const { store, logger } = ctx;
  run.phase = 'done';
  run.finishedAt = new Date().toISOString();
  try {
    // Ended meanwhile by another replica (this one stalled past its lease): the run stays
    // `interrupted`, and this row says how it really ended.
    const stored = await store.saveRun(run);
    await appendAuditRow(ctx, run, run.status, {
      reason: stored
        ? run.reason
        : `ended after another replica had marked it interrupted: ${
            run.reason ?? run.status
          }`,
      startedAt,
      finishedAt: Date.parse(run.finishedAt),
    });
  } finally {
    await store.releaseLock(run.runId);
  }
  const meta = {
    status: run.status,
    ...(run.code ? { code: run.code } : {}),
  };
  if (run.status === 'succeeded') await event.success({ meta });
  else await event.fail({ error: new Error(run.reason ?? run.status), meta });
  logger.info(
    `${run.actionId} on ${run.entityRef} by ${run.actor}: ${run.status}${
      run.reason ? ` (${run.reason})` : ''
    }`,
  );
}
