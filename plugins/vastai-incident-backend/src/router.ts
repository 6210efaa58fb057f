import type {
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  TriageReport,
  METRIC_QUERY_IDS,
  METRIC_RANGES,
  VASTAI_INTEGRATION_ANNOTATION,
  vastaiIncidentReadPermission,
} from '@internal/plugin-vastai-incident-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { entityParams, jsonBody, parseInput } from './http/validation';
import { buildTriageReport, SignalService } from './service';
import { EntityLookup } from './service/entityLookup';

export interface RouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  signals: SignalService;
  /** How long an entity's annotation is remembered per user (default 5 s; 0 = every request). */
  entityLookupTtlMs?: number;
  /** Told of every triage report served (the open incident records severity changes). */
  onTriage?: (report: TriageReport) => Promise<unknown> | void;
}

const metricParams = z.object({ queryId: z.enum(METRIC_QUERY_IDS) });
const metricQuery = z
  .object({ range: z.enum(METRIC_RANGES).default('1h') })
  .strict();
const logsQuery = z
  .object({ sinceMinutes: z.coerce.number().int().min(1).max(60).default(5) })
  .strict();
const noQuery = z.object({}).strict();

/** The plugin's HTTP API; every route reads one entity's integration for a signed-in user. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, catalog, signals } = options;
  const entities = new EntityLookup(catalog, options.entityLookupTtlMs ?? 5000);
  const router = Router();
  router.use(jsonBody('100kb'));

  /** Validates, authenticates, authorizes, then finds the entity's integration (or 404). */
  async function resolve(req: Request) {
    const params = parseInput(entityParams, req.params, 'entity reference');
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const entityRef = stringifyEntityRef({
      kind: params.kind.toLocaleLowerCase('en-US'),
      namespace: params.namespace.toLocaleLowerCase('en-US'),
      name: params.name,
    });
    // Both reads at once; nothing of the entity is used before the decision allows it.
    const entityRead = entities.lookup(entityRef, credentials);
    entityRead.catch(() => undefined);
    const [decision] = await permissions.authorize(
      [{ permission: vastaiIncidentReadPermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        'Not allowed to read the Vast.ai incident data of this entity',
      );
    }
    const { found, integrationName } = await entityRead;
    if (!found) throw new NotFoundError(`No entity ${entityRef}`);
    if (!integrationName) {
      throw new NotFoundError(
        `${entityRef} has no ${VASTAI_INTEGRATION_ANNOTATION} annotation`,
      );
    }
    const integration = signals.integration(integrationName);
    if (!integration) {
      throw new NotFoundError(
        `${entityRef} names integration "${integrationName.slice(
          0,
          100,
        )}", which is not configured`,
      );
    }
    return { entityRef, integration };
  }

  const base = '/v1/entities/:namespace/:kind/:name';

  router.get(`${base}/triage`, async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { entityRef, integration } = await resolve(req);
    const report = await buildTriageReport(signals, entityRef, integration);
    if (options.onTriage) {
      try {
        await options.onTriage(report);
      } catch (error) {
        options.logger.warn(`recording the triage outcome failed: ${error}`);
      }
    }
    res.json(report);
  });

  router.get(`${base}/metrics/:queryId`, async (req, res) => {
    const { queryId } = parseInput(
      metricParams,
      { queryId: req.params.queryId },
      'query id',
    );
    const { range } = parseInput(metricQuery, req.query, 'query');
    const { integration } = await resolve(req);
    res.json(await signals.metricRange(integration, queryId, range));
  });

  router.get(`${base}/pods`, async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { integration } = await resolve(req);
    res.json(await signals.pods(integration));
  });

  router.get(`${base}/logs`, async (req, res) => {
    const { sinceMinutes } = parseInput(logsQuery, req.query, 'query');
    const { integration } = await resolve(req);
    res.json(await signals.logs(integration, sinceMinutes));
  });

  return router;
}
