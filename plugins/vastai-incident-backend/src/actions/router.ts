import { NotFoundError } from '@backstage/errors';
import { ACTION_IDS } from '@vastai-incident/backstage-plugin-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { EntityGate, readEntityData } from '../access/entityGate';
import { entityParams } from '../access/entityRef';
import { jsonBody, parseInput } from '../http/validation';
import type { ActionsService } from './service';

export interface ActionsRouterOptions {
  gate: EntityGate;
  actions: ActionsService;
}

/** Where the actions router is mounted; its routes read these params (`mergeParams`). */
export const ACTIONS_PATH = '/v1/entities/:namespace/:kind/:name/actions';

const actionParams = entityParams.extend({ actionId: z.enum(ACTION_IDS) });
const runParams = entityParams.extend({ runId: z.string().uuid() });
const actionBody = z
  .object({
    dryRun: z.boolean(),
    // Write-only: validated here, never echoed (the schema's messages do not quote values).
    newApiKey: z
      .string()
      .min(8, 'newApiKey is too short')
      .max(512, 'newApiKey is too long')
      .regex(
        /^[\x21-\x7e]+$/,
        'newApiKey must be printable ASCII without spaces',
      )
      .optional(),
  })
  .strict();
const approveBody = z
  .object({ newApiKey: actionBody.shape.newApiKey })
  .strict();
const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, ".", "_", ":" or "-" only');
const historyQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();

/**
 * Routes of the remediations, relative to `ACTIONS_PATH`:
 * - `POST /:actionId` `{dryRun, newApiKey?}`, header `Idempotency-Key` (required unless dryRun)
 * - `GET  /history`
 * - `GET  /runs/:runId` (progress of one run)
 * - `POST /runs/:runId/approve` `{newApiKey?}` (second person's approval of a key rotation, when
 *   config requires it)
 * Bodies are parsed here alone, and a refused body is never quoted: it may hold a pasted key.
 */
export function createActionsRouter(
  options: ActionsRouterOptions,
): express.Router {
  const { gate, actions } = options;
  const router = Router({ mergeParams: true });
  router.use(jsonBody('16kb'));

  router.get('/history', async (req, res) => {
    const { limit } = parseInput(historyQuery, req.query, 'query');
    const { entityRef } = await gate.authorize(req, req.params, readEntityData);
    res.json({ entityRef, entries: await actions.history(entityRef, limit) });
  });

  /** The answer for a run that does not exist, or that the caller may not see. */
  const noRun = (runId: string, entityRef: string) =>
    new NotFoundError(`No run ${runId} on ${entityRef}`);

  router.get('/runs/:runId', async (req, res) => {
    const params = parseInput(runParams, req.params, 'run reference');
    const subject = await gate.subjectOf(req, params);
    const { entityRef } = subject;
    await gate.requireVisible(
      subject,
      readEntityData,
      noRun(params.runId, entityRef),
    );
    await gate.requireBinding(subject);
    const run = await actions.getRun(entityRef, params.runId);
    if (!run) throw noRun(params.runId, entityRef);
    res.json(run);
  });

  router.post('/runs/:runId/approve', async (req, res) => {
    const params = parseInput(runParams, req.params, 'run reference');
    const body = parseInput(approveBody, req.body ?? {}, 'body');
    // Authorized before the run is read, so no answer tells a caller which runs exist: whoever
    // may not read the entity gets the 404 of an unknown run, and only key rotations await an
    // approval, so the approver needs the rotation permission (a refusal is audited).
    const access = await gate.forEntity(req, params, async subject => {
      await gate.requireVisible(
        subject,
        readEntityData,
        noRun(params.runId, subject.entityRef),
      );
      await actions.authorize({
        ...subject,
        actionId: 'rotate-api-key',
        dryRun: false,
      });
    });
    const { httpStatus, run } = await actions.approve({
      ...access,
      runId: params.runId,
      newApiKey: body.newApiKey,
      request: req,
    });
    res.status(httpStatus).json(run);
  });

  router.post('/:actionId', async (req, res) => {
    const params = parseInput(actionParams, req.params, 'action reference');
    const body = parseInput(actionBody, req.body ?? {}, 'body');
    const header = req.header('idempotency-key');
    const idempotencyKey =
      header === undefined
        ? undefined
        : parseInput(idempotencyKeySchema, header, 'Idempotency-Key header');
    const request = {
      actionId: params.actionId,
      dryRun: body.dryRun,
      idempotencyKey,
      request: req,
    };
    // The service's check audits a refusal; it decides before any config-driven target is read.
    const access = await gate.forEntity(req, params, subject =>
      actions.authorize({ ...subject, ...request }),
    );
    const { httpStatus, run } = await actions.run({
      ...access,
      ...request,
      newApiKey: body.newApiKey,
    });
    res.status(httpStatus).json(run);
  });

  return router;
}
