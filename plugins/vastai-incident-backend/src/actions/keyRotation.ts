import type { IntegrationKubernetesConfig } from '../config';
import {
  ActionContext,
  ActionFailure,
  ActionHandler,
  ActionRefusal,
  verifyRun,
} from './context';
import { assertNotPaused, validateAndPatch } from './deploymentActions';
import { deploymentDiff, MASK, RESTART_SCOPE } from './diff';
import { KubernetesApiError, KubernetesWriter } from './kubernetesWriter';
import { containerOf, DeploymentLike, restartPatch } from './patches';
import { recordStep } from './runRecord';
import type { ActionDiffLine } from './types';
import type { VendorKeyClient } from './vendorKeys';

/**
 * What a server-side dry run of a Secret write carries instead of a key: the API server checks
 * the write (permission, resourceVersion, shape) without ever seeing a key value.
 */
export const DRY_RUN_KEY_PLACEHOLDER = 'dry-run-placeholder-not-a-key';

/**
 * A key rotation reaches the service only if its container reads the key from the configured
 * Secret and key through `valueFrom.secretKeyRef`, and holds no literal copy of it. Otherwise the
 * service keeps its old key, which the rotation would then delete at the vendor: refused before
 * anything is written or created.
 */
export function assertReadsKeyFromSecret(
  deployment: DeploymentLike,
  target: IntegrationKubernetesConfig,
  currentKey: string | undefined,
) {
  const container = containerOf(deployment, target.container);
  const secretKey = target.secretKey ?? 'api-key';
  const env = container.env ?? [];
  const where = `Container "${container.name}" of Deployment ${target.namespace}/${target.deployment}`;
  const referenced = env.some(e => {
    const ref = (e.valueFrom as any)?.secretKeyRef;
    return ref?.name === target.secretName && ref?.key === secretKey;
  });
  if (!referenced) {
    throw new ActionRefusal(
      `${where} does not read its key through valueFrom.secretKeyRef (Secret ${target.secretName}, key ${secretKey}), so a new key in the Secret would not reach it; nothing was rotated. Reference the Secret in its env first.`,
      'key-not-from-secret',
    );
  }
  const copies = currentKey
    ? env.filter(e => e.value === currentKey).map(e => e.name)
    : [];
  if (copies.length > 0) {
    throw new ActionRefusal(
      `${where} holds the current key as a literal env value (${copies.join(
        ', ',
      )}), which a rotation would not replace; nothing was rotated. Reference the Secret instead.`,
      'key-not-from-secret',
    );
  }
}

/** Every Secret write is validated by the API server first, with the placeholder as its value. */
async function validateAndWriteKey(
  kube: KubernetesWriter,
  target: IntegrationKubernetesConfig,
  value: string,
  resourceVersion: string,
): Promise<{ resourceVersion: string }> {
  const write = (v: string, dryRun: boolean) =>
    kube.writeSecretKey(
      target.namespace,
      target.secretName!,
      target.secretKey ?? 'api-key',
      v,
      { resourceVersion, dryRun },
    );
  await write(DRY_RUN_KEY_PLACEHOLDER, true);
  return write(value, false);
}

/** `rotate-api-key`: a new key in the integration's Secret, the old one deleted once it works. */
export const keyRotation: ActionHandler = {
  /**
   * The API server validates the Secret write and the restart without persisting them. No
   * vendor call in a dry run, and a placeholder stands in for the key, pasted or to be created.
   */
  async dryRun(_ctx, req, kube, deployment, run) {
    const target = req.integration.kubernetes!;
    const secret = await kube.readSecret(target.namespace, target.secretName!);
    const key = target.secretKey ?? 'api-key';
    assertReadsKeyFromSecret(deployment, target, secret.data[key]);
    await kube.writeSecretKey(
      target.namespace,
      target.secretName!,
      key,
      DRY_RUN_KEY_PLACEHOLDER,
      { resourceVersion: secret.resourceVersion, dryRun: true },
    );
    assertNotPaused(deployment);
    const after = await kube.patchDeployment(
      target.namespace,
      target.deployment,
      restartPatch(new Date()),
      { dryRun: true },
    );
    run.diff = [
      secretDiffLine(target, key, key in secret.data),
      ...deploymentDiff(deployment, after, target.container, RESTART_SCOPE),
    ];
    run.reason = req.newApiKey
      ? 'The pasted key would replace the current one; the deployment restarts; the old key is deleted at Vast.ai once the new one is verified'
      : 'A new key would be created at Vast.ai and replace the current one; the deployment restarts; the old key is deleted once the new one is verified';
  },

  /**
   * Writes the new key into the Secret and restarts the deployment. The returned work verifies
   * it: then the old key is deleted at the vendor; otherwise the old key is put back and the
   * deployment restarted again.
   */
  async apply(ctx, req, run) {
    const { store } = ctx;
    const target = req.integration.kubernetes!;
    const secretName = target.secretName!;
    const secretKey = target.secretKey ?? 'api-key';
    const kube = ctx.kubernetes(req.integration);
    const vendor = ctx.vendorKeys;
    if (!vendor) {
      throw new ActionFailure(
        'No Vast.ai API URL or operator key is configured; keys cannot be rotated',
        'not-configured',
      );
    }
    run.phase = 'applying';
    const deployment = await kube.readDeployment(
      target.namespace,
      target.deployment,
    );
    assertNotPaused(deployment);
    const secret = await kube.readSecret(target.namespace, secretName);
    const oldKey: string | undefined = secret.data[secretKey];
    assertReadsKeyFromSecret(deployment, target, oldKey);
    const newKey = await obtainNewKey(
      vendor,
      req.newApiKey,
      req.integration.name,
    );
    const redact = ctx.redactor(oldKey, newKey.key);
    // Recorded before anything else happens: if this replica dies from here on, the replica
    // that ends the run knows which key id to clean up (the key itself is never stored).
    run.newKeyId = newKey.id;
    await recordStep(
      ctx,
      run,
      newKey.created ? 'new-key-created' : 'new-key-accepted',
      newKey.created
        ? `a new key (id ${newKey.id}) was created at Vast.ai`
        : `the pasted key (id ${newKey.id}) was accepted by Vast.ai`,
    );
    const discardNewKey = async () => {
      if (!newKey.created) return;
      const deleted = await vendor.deleteKey(newKey.id).catch(() => false);
      await recordStep(
        ctx,
        run,
        deleted ? 'new-key-deleted' : 'new-key-not-deleted',
        deleted
          ? `the new key (id ${newKey.id}) was deleted at Vast.ai`
          : `the new key (id ${newKey.id}) could not be deleted at Vast.ai; delete it by hand`,
      );
    };
    const restart = async () => {
      const before = await kube.readDeployment(
        target.namespace,
        target.deployment,
      );
      const after = await validateAndPatch(
        kube,
        target,
        restartPatch(new Date()),
      );
      return deploymentDiff(before, after, target.container, RESTART_SCOPE);
    };

    let written: { resourceVersion: string };
    try {
      written = await validateAndWriteKey(
        kube,
        target,
        newKey.key,
        secret.resourceVersion,
      );
    } catch (error) {
      await discardNewKey();
      if (error instanceof KubernetesApiError && error.status === 409) {
        // Someone else changed the Secret since it was read: reported, never retried blindly.
        throw new ActionFailure(
          `Secret ${
            target.namespace
          }/${secretName} changed since it was read (409 Conflict); nothing was rotated${
            newKey.created ? ' and the new key was deleted at Vast.ai' : ''
          }. Check who changed it, then run the rotation again.`,
          'conflict',
        );
      }
      throw new ActionFailure(redact((error as Error).message), 'error');
    }
    run.diff = [secretDiffLine(target, secretKey, oldKey !== undefined)];
    run.previous = {
      [`Secret ${secretName}[${secretKey}]`]:
        oldKey !== undefined ? MASK : null,
    };
    await recordStep(
      ctx,
      run,
      'secret-written',
      `Secret ${target.namespace}/${secretName}[${secretKey}] now holds the new key (id ${newKey.id}); the old key still works`,
    );
    run.diff.push(...(await restart()));
    await recordStep(
      ctx,
      run,
      'restart-written',
      `Deployment ${target.namespace}/${target.deployment} restarted to pick up the new key`,
    );
    const appliedAt = Date.now();

    return async () => {
      const verification = await verifyRun(ctx, req, run, kube, appliedAt);
      if (verification.rolloutComplete && verification.recovered) {
        // The old key goes only now, once the new one is verified: until here the service
        // works with either, whatever happens to this replica.
        await recordStep(ctx, run, 'verified', 'the new key was verified');
        const deleted = redact(
          await deleteOldKey(
            ctx,
            req.integration.name,
            oldKey,
            newKey.id,
            vendor,
          ),
        );
        verification.evidence.push(deleted);
        await recordStep(ctx, run, 'old-key-cleanup', deleted);
        await store.recordKeyId(req.integration.name, newKey.id);
        run.status = 'succeeded';
        run.reason = redact(`verified: ${verification.evidence.join('; ')}`);
        return;
      }
      // Verification failed: put the old key back (only over our own write), restart, say so.
      run.phase = 'restoring';
      await store.saveRun(run);
      let restored: string;
      try {
        if (oldKey === undefined)
          throw new Error('the Secret had no key before');
        await validateAndWriteKey(
          kube,
          target,
          oldKey,
          written.resourceVersion,
        );
        await recordStep(
          ctx,
          run,
          'old-key-restored',
          `Secret ${target.namespace}/${secretName}[${secretKey}] holds the old key again`,
        );
        await restart();
        await recordStep(
          ctx,
          run,
          'restart-written',
          `Deployment ${target.namespace}/${target.deployment} restarted to pick up the old key`,
        );
        await discardNewKey();
        restored = 'the old key was put back and the deployment restarted';
      } catch (error) {
        restored =
          error instanceof KubernetesApiError && error.status === 409
            ? 'the old key was NOT put back: the Secret changed again meanwhile (409 Conflict)'
            : `the old key could NOT be put back (${redact(
                (error as Error).message,
              )})`;
      }
      run.status = 'failed';
      run.code = 'verification-failed';
      run.reason = redact(
        `the new key did not verify within ${
          verification.deadlineSeconds
        } s (${verification.evidence.join('; ')}); ${restored}`,
      );
    };
  },
};

/** The Secret's line of a diff: its value is always masked. */
function secretDiffLine(
  target: IntegrationKubernetesConfig,
  key: string,
  hadKey: boolean,
): ActionDiffLine {
  return {
    object: `Secret ${target.namespace}/${target.secretName}`,
    path: `data[${key}]`,
    before: hadKey ? MASK : null,
    after: MASK,
    secret: true,
  };
}

/** The pasted key, once the vendor accepts it, or a fresh one created at the vendor. */
async function obtainNewKey(
  vendor: VendorKeyClient,
  pasted: string | undefined,
  integration: string,
): Promise<{ key: string; id: number; created: boolean }> {
  if (pasted) {
    const id = await vendor.idOfKey(pasted);
    if (id === undefined) {
      throw new ActionFailure(
        'Vast.ai does not accept the pasted key; nothing was changed',
        'invalid-key',
      );
    }
    return { key: pasted, id, created: false };
  }
  const made = await vendor.createKey(
    `${integration}-${new Date().toISOString().slice(0, 19)}`,
  );
  return { key: made.key, id: made.id, created: true };
}

/**
 * Deletes the key the Secret held before, once the new one works. Its id comes from our own
 * record of the last rotation or from the vendor (asked with the key itself), and must be in
 * the account's key list; the key value is compared, never logged.
 */
async function deleteOldKey(
  ctx: ActionContext,
  integration: string,
  oldKey: string | undefined,
  newKeyId: number,
  vendor: VendorKeyClient,
): Promise<string> {
  if (!oldKey) return 'no old key to delete';
  try {
    let oldId = await vendor.idOfKey(oldKey);
    if (oldId === undefined) {
      const recorded = await ctx.store.readKeyId(integration);
      const live = await vendor.listKeys();
      // A revoked key is no longer listed: then there is nothing left to delete.
      oldId =
        recorded !== undefined && live.some(k => k.id === recorded)
          ? recorded
          : undefined;
      if (oldId === undefined)
        return 'the old key is no longer valid at Vast.ai; nothing to delete';
    }
    if (oldId === newKeyId)
      return 'the old and new key are the same key; nothing deleted';
    const listed = await vendor.listKeys();
    if (!listed.some(k => k.id === oldId))
      return `the old key (id ${oldId}) is not listed at Vast.ai; nothing deleted`;
    return (await vendor.deleteKey(oldId))
      ? `the old key (id ${oldId}) was deleted at Vast.ai`
      : `the old key (id ${oldId}) was already gone at Vast.ai`;
  } catch (error) {
    return `the old key could not be deleted at Vast.ai (${
      (error as Error).message
    }); delete it by hand`;
  }
}
