import type {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ACTION_IDS,
  VASTAI_INTEGRATION_ANNOTATION,
  vastaiIncidentReadPermission,
} from '@internal/plugin-vastai-incident-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { entityParams, jsonBody, parseInput } from '../http/validation';
import type { ActionsService } from './service';

export interface ActionsRouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  actions: ActionsService;
}

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
const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, ".", "_", ":" or "-" only');
const historyQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();

/**
 * Routes of the remediations, with their full paths (mount with `httpRouter.use(router)`):
 * - `POST /v1/entities/:namespace/:kind/:name/actions/:actionId` `{dryRun, newApiKey?}`,
 *   header `Idempotency-Key` (required unless dryRun)
 * - `GET  /v1/entities/:namespace/:kind/:name/actions/history`
 * - `GET  /v1/entities/:namespace/:kind/:name/actions/runs/:runId` (progress of one run)
 * - `POST /v1/entities/:namespace/:kind/:name/actions/runs/:runId/approve` `{newApiKey?}`
 *   (second person's approval of a key rotation, when config requires it)
 */
export function createActionsRouter(
  options: ActionsRouterOptions,
): express.Router {
  const { httpAuth, permissions, catalog, actions } = options;
  const router = Router();
  router.use(jsonBody('16kb'));

  const entityRefOf = (p: { namespace: string; kind: string; name: string }) =>
    stringifyEntityRef({
      kind: p.kind.toLocaleLowerCase('en-US'),
      namespace: p.namespace.toLocaleLowerCase('en-US'),
      name: p.name,
    });

  async function integrationOf(
    entityRef: string,
    credentials: BackstageCredentials,
  ) {
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) throw new NotFoundError(`No entity ${entityRef}`);
    const name = entity.metadata.annotations?.[VASTAI_INTEGRATION_ANNOTATION];
    if (!name)
      throw new NotFoundError(
        `${entityRef} has no ${VASTAI_INTEGRATION_ANNOTATION} annotation`,
      );
    const integration = actions.integration(name);
    if (!integration) {
      throw new NotFoundError(
        `${entityRef} names integration "${name.slice(
          0,
          100,
        )}", which is not configured`,
      );
    }
    return integration;
  }

  async function authorizeRead(req: Request, entityRef: string) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize(
      [{ permission: vastaiIncidentReadPermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        'Not allowed to read the Vast.ai incident data of this entity',
      );
    }
    return credentials;
  }

  const base = '/v1/entities/:namespace/:kind/:name/actions';

  router.get(`${base}/history`, async (req, res) => {
    const params = parseInput(entityParams, req.params, 'entity reference');
    const { limit } = parseInput(historyQuery, req.query, 'query');
    const entityRef = entityRefOf(params);
    await authorizeRead(req, entityRef);
    res.json({ entityRef, entries: await actions.history(entityRef, limit) });
  });

  router.get(`${base}/runs/:runId`, async (req, res) => {
    const params = parseInput(runParams, req.params, 'run reference');
    const entityRef = entityRefOf(params);
    await authorizeRead(req, entityRef);
    const run = await actions.getRun(entityRef, params.runId);
    if (!run) throw new NotFoundError(`No run ${params.runId} on ${entityRef}`);
    res.json(run);
  });

  router.post(`${base}/runs/:runId/approve`, async (req, res) => {
    const params = parseInput(runParams, req.params, 'run reference');
    const body = parseInput(approveBody, req.body ?? {}, 'body');
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const entityRef = entityRefOf(params);
    const integration = await integrationOf(entityRef, credentials);
    const { httpStatus, run } = await actions.approve({
      credentials,
      entityRef,
      integration,
      runId: params.runId,
      newApiKey: body.newApiKey,
      request: req,
    });
    res.status(httpStatus).json(run);
  });

  router.post(`${base}/:actionId`, async (req, res) => {
    const params = parseInput(actionParams, req.params, 'action reference');
    const body = parseInput(actionBody, req.body ?? {}, 'body');
    const header = req.header('idempotency-key');
    const key =
      header === undefined
        ? undefined
        : parseInput(idempotencyKey, header, 'Idempotency-Key header');
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const entityRef = entityRefOf(params);
    // S2: the permission decision comes before any read of config-driven targets or any write.
    await actions.authorize({
      credentials,
      entityRef,
      actionId: params.actionId,
      dryRun: body.dryRun,
      idempotencyKey: key,
      request: req,
    });
    const integration = await integrationOf(entityRef, credentials);
    const { httpStatus, run } = await actions.run({
      credentials,
      entityRef,
      integration,
      actionId: params.actionId,
      dryRun: body.dryRun,
      idempotencyKey: key,
      newApiKey: body.newApiKey,
      request: req,
    });
    res.status(httpStatus).json(run);
  });

  return router;
}
