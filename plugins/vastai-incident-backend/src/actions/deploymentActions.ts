import type { ActionId } from '@vastai-incident/backstage-plugin-common';
import type { IntegrationKubernetesConfig } from '../config';
import {
  ActionContext,
  ActionFailure,
  ActionHandler,
  RunActionRequest,
  targetOf,
  verifyRun,
} from './context';
import { deploymentDiff, describeEnv, DiffScope, RESTART_SCOPE } from './diff';
import { KubernetesApiError, KubernetesWriter } from './kubernetesWriter';
import {
  DeploymentLike,
  EnvChange,
  envEntry,
  EnvVar,
  restartPatch,
  RESTARTED_AT_ANNOTATION,
  setEnvPatch,
} from './patches';
import { recordStep } from './runRecord';
import type { ActionRun, ActionVerification } from './types';

/** The env switches of the runbook: forward actions and the reverts that restore them. */
const ENV_ACTIONS: Partial<
  Record<
    ActionId,
    {
      variable: string;
      value: string;
      revertOf?: ActionId;
    }
  >
> = {
  'enable-fallback': { variable: 'VASTAI_FALLBACK', value: 'true' },
  'disable-fallback': {
    variable: 'VASTAI_FALLBACK',
    value: 'false',
    revertOf: 'enable-fallback',
  },
  'queue-mode': { variable: 'RATE_LIMIT_MODE', value: 'queue' },
  'direct-mode': {
    variable: 'RATE_LIMIT_MODE',
    value: 'direct',
    revertOf: 'queue-mode',
  },
};

/** The forward action that `actionId` reverts, if it is a revert. */
export function forwardActionOf(actionId: ActionId): ActionId | undefined {
  return ENV_ACTIONS[actionId]?.revertOf;
}

/** The patch an action makes, what it replaces, or why nothing needs to change. */
interface DeploymentPlan {
  patch?: unknown;
  /** What the patch changes: all the diff may show. */
  scope: DiffScope;
  previous?: Record<string, string | null>;
  noop?: string;
  change?: EnvChange;
  replaced?: EnvVar;
}

export function assertNotPaused(deployment: DeploymentLike) {
  if (deployment.spec?.paused) {
    throw new ActionFailure(
      `Deployment ${deployment.metadata?.name} is paused; a restart would not roll out (run rollout resume first)`,
      'paused',
    );
  }
}

/** Every write is validated by the API server first (a server-side dry run of the very patch). */
export async function validateAndPatch(
  kube: KubernetesWriter,
  target: IntegrationKubernetesConfig,
  patch: unknown,
): Promise<DeploymentLike> {
  await kube.patchDeployment(target.namespace, target.deployment, patch, {
    dryRun: true,
  });
  return kube.patchDeployment(target.namespace, target.deployment, patch, {
    dryRun: false,
  });
}

/**
 * A 409 on a deployment patch means the API server refused to write it because the deployment
 * changed meanwhile: the write did not happen, so the run ends as a conflict (as a changed Secret
 * does) with what to do next, and is never retried blindly over someone else's change.
 */
function conflictOf(
  error: unknown,
  target: IntegrationKubernetesConfig,
): unknown {
  if (!(error instanceof KubernetesApiError) || error.status !== 409)
    return error;
  return new ActionFailure(
    `Deployment ${target.namespace}/${target.deployment} changed while the action ran (409 Conflict from the API server); nothing was overwritten. Run the dry run again to see the change against the deployment as it is now, then apply it.`,
    'conflict',
  );
}

async function plan(
  ctx: ActionContext,
  req: RunActionRequest,
  deployment: DeploymentLike,
): Promise<DeploymentPlan> {
  const target = req.integration.kubernetes!;
  if (req.actionId === 'rollout-restart') {
    assertNotPaused(deployment);
    const was =
      deployment.spec?.template?.metadata?.annotations?.[
        RESTARTED_AT_ANNOTATION
      ] ?? null;
    return {
      patch: restartPatch(new Date()),
      scope: RESTART_SCOPE,
      previous: { [RESTARTED_AT_ANNOTATION]: was },
    };
  }
  const spec = ENV_ACTIONS[req.actionId]!;
  const scope: DiffScope = { env: [spec.variable], restartedAt: false };
  let change: EnvChange = { name: spec.variable, value: spec.value };
  if (spec.revertOf) {
    // A revert restores exactly what a forward action on this deployment replaced, whichever
    // entity asked for it, when that is on record.
    const recorded = await ctx.store.readPrevious(
      targetOf(req.integration),
      spec.variable,
    );
    if (recorded) {
      change = recorded.entry
        ? { name: spec.variable, entry: recorded.entry as EnvVar }
        : { name: spec.variable, remove: true };
    }
  }
  const replaced = envEntry(deployment, target.container, spec.variable);
  const patch = setEnvPatch(deployment, target.container, [change]);
  if (!patch) {
    return {
      scope,
      noop: `${spec.variable} is already ${
        describeEnv(replaced) ?? 'absent'
      }; nothing to change`,
    };
  }
  return {
    patch,
    scope,
    previous: { [spec.variable]: describeEnv(replaced) },
    change,
    replaced,
  };
}

/** The env switches and rollout-restart: one patch of the deployment's pod template each. */
export const deploymentActions: ActionHandler = {
  async dryRun(ctx, req, kube, deployment, run) {
    const target = req.integration.kubernetes!;
    const planned = await plan(ctx, req, deployment);
    if (!planned.patch) {
      run.reason = planned.noop;
      return;
    }
    const after = await kube.patchDeployment(
      target.namespace,
      target.deployment,
      planned.patch,
      { dryRun: true },
    );
    run.diff = deploymentDiff(
      deployment,
      after,
      target.container,
      planned.scope,
    );
    run.previous = planned.previous;
  },
  async apply(ctx, req, run) {
    const { store } = ctx;
    const target = req.integration.kubernetes!;
    const kube = ctx.kubernetes(req.integration);
    run.phase = 'applying';
    const before = await kube.readDeployment(
      target.namespace,
      target.deployment,
    );
    const planned = await plan(ctx, req, before);
    if (!planned.patch) {
      run.status = 'succeeded';
      run.reason = planned.noop;
      return undefined;
    }
    let after: DeploymentLike;
    try {
      after = await validateAndPatch(kube, target, planned.patch);
    } catch (error) {
      throw conflictOf(error, target);
    }
    run.diff = deploymentDiff(before, after, target.container, planned.scope);
    run.previous = planned.previous;
    await recordStep(
      ctx,
      run,
      'patch-written',
      `Deployment ${target.namespace}/${target.deployment} patched (${req.actionId})`,
    );
    const spec = ENV_ACTIONS[req.actionId];
    const deployment = targetOf(req.integration);
    if (spec && !spec.revertOf) {
      // Remember what the forward action replaced, unless an earlier forward run already did
      // (a second enable must not make "true" the value to restore).
      const recorded = await store.readPrevious(deployment, spec.variable);
      if (!recorded)
        await store.recordPrevious(
          deployment,
          spec.variable,
          planned.replaced,
          run.runId,
        );
    } else if (spec?.revertOf) {
      await store.forgetPrevious(deployment, spec.variable);
    }
    const appliedAt = Date.now();
    return async () => {
      conclude(run, await verifyRun(ctx, req, run, kube, appliedAt));
    };
  },
};

function conclude(run: ActionRun, v: ActionVerification) {
  if (v.rolloutComplete && v.recovered) {
    run.status = 'succeeded';
    run.reason = `verified: ${v.evidence.join('; ')}`;
  } else {
    run.status = 'unverified';
    run.reason = v.rolloutComplete
      ? `the change rolled out, but ${
          v.signal ?? 'the triggering signal'
        } did not recover within ${v.deadlineSeconds} s: ${v.evidence.join(
          '; ',
        )}`
      : `the rollout did not complete within ${
          v.deadlineSeconds
        } s: ${v.evidence.join('; ')}`;
  }
}
