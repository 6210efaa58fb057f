import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  TriageReport,
  METRIC_QUERY_IDS,
  METRIC_RANGES,
} from '@vastai-incident/backstage-plugin-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  AccessOptions,
  EntityGate,
  PermissionCheck,
  readEntityData,
  readEntityLogs,
} from '../access/entityGate';
import { parseInput } from '../http/validation';
import type { IntegrationConfig } from '../config';
import type { TriageInput } from '../triage/types';
import { SignalService } from './signalService';
import { buildTriageReport } from './triageService';

export interface SignalsRouterOptions {
  logger: LoggerService;
  gate: EntityGate;
  signals: SignalService;
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

/**
 * The read path: triage, metrics, pods and logs of one entity's integration, with their full
 * paths (`/v1/entities/:namespace/:kind/:name/...`). Only GET routes: no body is parsed here.
 * Logs can hold customer data: they need the logs permission, the rest the read permission.
 */
export function createSignalsRouter(
  options: SignalsRouterOptions,
): express.Router {
  const { gate, signals } = options;
  const router = Router();
  const integrationOf = async (
    req: Request,
    check: PermissionCheck = readEntityData,
  ) => (await gate.forEntity(req, req.params, check)).integration;

  const base = '/v1/entities/:namespace/:kind/:name';

  router.get(`${base}/triage`, async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const started = Date.now();
    const timings: AccessOptions['timings'] = {};
    // The probes of the integration bound to the entity start while the entity is read and the
    // permission decided; their answers are read only after the caller is allowed. They are
    // cached and coalesced per integration, so a caller who is then refused costs at most one
    // probe round per cache TTL.
    const early = new Map<IntegrationConfig, Promise<TriageInput>>();
    const { entityRef, integration } = await gate.forEntity(
      req,
      req.params,
      readEntityData,
      {
        timings,
        prepare: listed => {
          const input = signals.collect(listed);
          input.catch(() => undefined);
          early.set(listed, input);
        },
      },
    );
    const allowed = Date.now();
    const input = await (early.get(integration) ??
      signals.collect(integration));
    const collected = Date.now();
    const report = await buildTriageReport(
      signals,
      entityRef,
      integration,
      input,
    );
    // Where a triage's time went, for the benchmark and browser dev tools (no data, only ms).
    res.setHeader(
      'Server-Timing',
      [
        `entity;dur=${timings.entity ?? 0}`,
        `permission;dur=${timings.permission ?? 0}`,
        `signals;dur=${collected - allowed};desc="after the permission"`,
        `triage;dur=${Date.now() - collected}`,
        `total;dur=${Date.now() - started}`,
      ].join(', '),
    );
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
    res.json(
      await signals.metricRange(await integrationOf(req), queryId, range),
    );
  });

  router.get(`${base}/pods`, async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    res.json(await signals.pods(await integrationOf(req)));
  });

  router.get(`${base}/logs`, async (req, res) => {
    const { sinceMinutes } = parseInput(logsQuery, req.query, 'query');
    res.json(
      await signals.logs(
        await integrationOf(req, readEntityLogs),
        sinceMinutes,
      ),
    );
  });

  return router;
}
