import type { AuditorService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  PAGERDUTY_ACTIONS,
  vastaiCommsSendPermission,
  vastaiIncidentManagePermission,
  vastaiIncidentReadPermission,
} from '@vastai-incident/backstage-plugin-common';
import express, { Request, Response } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  EntityGate,
  EntitySubject,
  PermissionCheck,
  readEntityLogs,
} from '../access/entityGate';
import { entityRefText } from '../access/entityRef';
import { withholdTimelineDetails } from '../access/timelineScope';
import { jsonBody, parseInput } from '../http/validation';
import { idempotencyKeyOf } from './idempotency';
import type { IncidentService } from './service';
import {
  COMM_CHANNELS,
  INCIDENT_STATUSES,
  Incident,
  SEVERITIES,
} from './types';

export interface IncidentsRouterDeps {
  gate: EntityGate;
  incidents: IncidentService;
  /** Every change is an auditor event when given (it should be: coreServices.auditor). */
  auditor?: AuditorService;
}

/** Where the incidents router is mounted. */
export const INCIDENTS_PATH = '/v1/incidents';

const text = (max: number) => z.string().trim().min(1).max(max);
const severity = z.enum(SEVERITIES);
const status = z.enum(INCIDENT_STATUSES);

const declareBody = z
  .object({
    entityRef: entityRefText(),
    title: text(200),
    severity: severity.optional(),
    impact: text(2000),
    commander: entityRefText('user').optional(),
  })
  .strict();
const updateBody = z
  .object({
    status: status.optional(),
    severity: severity.optional(),
    commander: entityRefText('user').optional(),
    impact: text(2000).optional(),
  })
  .strict()
  .refine(b => Object.values(b).some(v => v !== undefined), {
    message: 'nothing to change (status, severity, commander or impact)',
  });
const listQuery = z
  .object({
    status: status.optional(),
    severity: severity.optional(),
    entityRef: entityRefText().optional(),
    open: z.enum(['true', 'false']).optional(),
  })
  .strict();
const idParams = z.object({ id: z.string().uuid() });
const commParams = z.object({
  id: z.string().uuid(),
  commId: z.string().uuid(),
});
const bundleParams = z.object({
  id: z.string().uuid(),
  bundleId: z.string().uuid(),
});
const noteBody = z.object({ text: text(5000) }).strict();
const previewQuery = z.object({ channel: z.enum(COMM_CHANNELS) }).strict();
const sendBody = z
  .object({ channel: z.enum(COMM_CHANNELS), text: text(20_000) })
  .strict();
const pagerDutyPreviewQuery = z
  .object({ action: z.enum(PAGERDUTY_ACTIONS) })
  .strict();
const pagerDutySendBody = z
  .object({ action: z.enum(PAGERDUTY_ACTIONS), text: text(1024).optional() })
  .strict();
const postmortemBody = z.object({ markdown: text(200_000) }).strict();
const noQuery = z.object({}).strict();
const noBody = z.union([z.undefined(), z.object({}).strict()]);

/** What each route needs on the incident's entity, with the words of its refusal. */
const manage = vastaiIncidentManagePermission;
const needs = {
  read: { permission: vastaiIncidentReadPermission, what: 'read incidents' },
  logs: readEntityLogs,
  manage: { permission: manage, what: 'manage incidents' },
  declare: { permission: manage, what: 'declare an incident' },
  evidence: { permission: manage, what: 'build evidence' },
  postmortem: { permission: manage, what: 'edit the postmortem' },
  send: { permission: vastaiCommsSendPermission, what: 'send messages' },
} satisfies Record<string, PermissionCheck>;

/**
 * One route on one incident. Whoever may not read the incident's entity gets the 404 of an
 * unknown id; a reader gets 403 for each further check that refuses, and for an incident whose
 * integration is no longer bound to its entity.
 */
interface IncidentRoute<T> {
  /** What the route needs besides reading the incident. */
  checks: PermissionCheck[];
  /** Parses the route's other input (400), before the incident is read. */
  input?: (req: Request) => T;
  /** A change: an auditor event with this id (and the incident's id and entity) wraps `handle`. */
  audit?: {
    eventId: string;
    meta?: (input: T) => Record<string, string | undefined>;
  };
  /** Status of a JSON answer. Default 200. */
  status?: number;
  /** The JSON answer, or undefined when `handle` answered itself (downloads). */
  handle(
    context: {
      incident: Incident;
      actor: string;
      input: T;
      subject: EntitySubject;
    },
    res: Response,
  ): Promise<unknown>;
}

/** Answers a file to save rather than a JSON document. */
function download(
  res: Response,
  type: string,
  filename: string,
  content: Buffer | string,
) {
  res
    .status(200)
    .type(type)
    .setHeader('content-disposition', `attachment; filename="${filename}"`);
  res.end(content);
}

/** A body that must be empty or absent. */
const noBodyOf = (req: Request) =>
  parseInput(
    noBody,
    req.body && Object.keys(req.body).length ? req.body : undefined,
    'body',
  );

/**
 * Incidents, communications, evidence and postmortems, relative to `INCIDENTS_PATH`
 * (`/api/vastai-incident/v1/incidents...`). Bodies are parsed here alone.
 */
export function createIncidentsRouter(
  options: IncidentsRouterDeps,
): express.Router {
  const { gate, incidents, auditor } = options;
  const router = Router();
  router.use(jsonBody('512kb'));

  async function audited<T>(
    req: Request,
    eventId: string,
    meta: Record<string, string | undefined>,
    run: () => Promise<T>,
  ): Promise<T> {
    const clean = Object.fromEntries(
      Object.entries(meta).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    const event = await auditor?.createEvent({
      eventId,
      severityLevel: 'medium',
      request: req,
      meta: clean,
    });
    try {
      const result = await run();
      await event?.success();
      return result;
    } catch (error) {
      await event?.fail({ error: error as Error });
      throw error;
    }
  }

  /**
   * 401, 400, 404, then 403: credentials, input, the incident (hidden from whoever may not read
   * its entity), the route's permissions and the binding of the incident's integration.
   */
  const incidentRoute =
    <T = undefined>(route: IncidentRoute<T>) =>
    async (req: Request, res: Response) => {
      const credentials = await gate.credentials(req);
      const { id } = parseInput(idParams, { id: req.params.id }, 'incident id');
      const input = route.input ? route.input(req) : (undefined as T);
      const incident = await incidents.get(id);
      const subject = {
        credentials,
        entityRef: incident.entityRef,
        request: req,
      };
      await gate.requireVisible(
        subject,
        needs.read,
        new NotFoundError(`No incident ${id}`),
      );
      for (const check of route.checks) {
        await gate.requirePermission(subject, check);
      }
      await gate.recordIntegration(subject, incident.integration);
      const context = {
        incident,
        actor: credentials.principal.userEntityRef,
        input,
        subject,
      };
      const handle = () => route.handle(context, res);
      const result = route.audit
        ? await audited(
            req,
            route.audit.eventId,
            {
              incidentId: incident.id,
              entityRef: incident.entityRef,
              ...route.audit.meta?.(input),
            },
            handle,
          )
        : await handle();
      if (result !== undefined) res.status(route.status ?? 200).json(result);
    };

  /** A read of one list of the incident: `{ items }`. */
  const listRoute = (
    list: (incidentId: string) => Promise<unknown[]>,
    checks: PermissionCheck[] = [],
  ) =>
    incidentRoute({
      checks,
      handle: async ({ incident }) => ({ items: await list(incident.id) }),
    });

  /** The timeline, its details withheld from whoever may not read the entity's logs. */
  const timelineFor = async (incident: Incident, readsLogs: boolean) => {
    const timeline = await incidents.timeline(incident.id);
    return readsLogs ? timeline : withholdTimelineDetails(timeline);
  };

  // ---- incidents

  router.post('/', async (req, res) => {
    const credentials = await gate.credentials(req);
    const body = parseInput(declareBody, req.body, 'incident');
    const subject = { credentials, entityRef: body.entityRef, request: req };
    await gate.requirePermission(subject, needs.declare);
    const incident = await audited(
      req,
      'incident-declare',
      { entityRef: body.entityRef, severity: body.severity },
      async () => {
        const { name } = await gate.entityIntegration(subject);
        return incidents.declare(
          { ...body, integration: name },
          credentials.principal.userEntityRef,
        );
      },
    );
    res.status(201).json(incident);
  });

  router.get('/', async (req, res) => {
    const credentials = await gate.credentials(req);
    const query = parseInput(listQuery, req.query, 'query');
    if (query.entityRef) {
      await gate.requireBinding({
        credentials,
        entityRef: query.entityRef,
        request: req,
      });
    }
    const all = await incidents.list({
      status: query.status,
      severity: query.severity,
      entityRef: query.entityRef,
      open: query.open === 'true' ? true : undefined,
    });
    // Portal-wide, but only the incidents of entities the caller may read, and none kept with an
    // integration that is no longer bound to its entity.
    const readable = await gate.allowedEntityRefs(
      credentials,
      vastaiIncidentReadPermission,
      all.map(i => i.entityRef),
    );
    let items: Incident[] = all.filter(
      i => readable.has(i.entityRef) && gate.isBound(i),
    );
    if (query.open === 'false')
      items = items.filter(i => i.status === 'resolved');
    res.json({ items });
  });

  router.get(
    '/:id',
    incidentRoute({
      checks: [],
      input: req => parseInput(noQuery, req.query, 'query'),
      handle: async ({ incident, subject }) => {
        const readsLogs = await gate.allows(subject, needs.logs);
        const [timeline, messages, evidence] = await Promise.all([
          timelineFor(incident, readsLogs),
          incidents.listMessages(incident.id),
          readsLogs ? incidents.listBundles(incident.id) : [],
        ]);
        return { ...incident, timeline, messages, evidence };
      },
    }),
  );

  router.patch(
    '/:id',
    incidentRoute({
      checks: [needs.manage],
      input: req => parseInput(updateBody, req.body, 'change'),
      audit: {
        eventId: 'incident-update',
        meta: change => ({ status: change.status, severity: change.severity }),
      },
      handle: ({ incident, input, actor }) =>
        incidents.update(incident.id, input, actor),
    }),
  );

  router.get(
    '/:id/timeline',
    incidentRoute({
      checks: [],
      handle: async ({ incident, subject }) => ({
        items: await timelineFor(
          incident,
          await gate.allows(subject, needs.logs),
        ),
      }),
    }),
  );

  router.post(
    '/:id/notes',
    incidentRoute({
      checks: [needs.manage],
      input: req => parseInput(noteBody, req.body, 'note').text,
      audit: { eventId: 'incident-note' },
      status: 201,
      handle: async ({ incident, input, actor }) => ({
        items: await incidents.addNote(incident.id, input, actor),
      }),
    }),
  );

  // ---- communications

  router.get(
    '/:id/comms/preview',
    incidentRoute({
      checks: [],
      input: req => parseInput(previewQuery, req.query, 'query').channel,
      // The commander is looked up in the catalog as the caller may read it.
      handle: ({ incident, input, subject }) =>
        incidents.preview(incident.id, input, subject.credentials),
    }),
  );

  router.get(
    '/:id/comms',
    listRoute(id => incidents.listMessages(id)),
  );

  router.post(
    '/:id/comms',
    incidentRoute({
      checks: [needs.send],
      input: req => ({
        ...parseInput(sendBody, req.body, 'message'),
        idempotencyKey: idempotencyKeyOf(req),
      }),
      audit: {
        eventId: 'incident-comms-send',
        meta: message => ({ channel: message.channel }),
      },
      status: 201,
      handle: ({ incident, input, actor }) =>
        incidents.send(
          incident.id,
          input.channel,
          input.text,
          actor,
          input.idempotencyKey,
        ),
    }),
  );

  router.post(
    '/:id/comms/:commId/retry',
    incidentRoute({
      checks: [needs.send],
      input: req => {
        const { commId } = parseInput(commParams, req.params, 'message id');
        noBodyOf(req);
        return { commId, idempotencyKey: idempotencyKeyOf(req) };
      },
      audit: {
        eventId: 'incident-comms-retry',
        meta: ({ commId }) => ({ messageId: commId }),
      },
      handle: ({ incident, input, actor }) =>
        incidents.retry(incident.id, input.commId, actor, input.idempotencyKey),
    }),
  );

  // ---- PagerDuty: one alert per incident (the incident id is the dedup key)

  router.get(
    '/:id/comms/pagerduty',
    incidentRoute({
      checks: [],
      input: req => parseInput(noQuery, req.query, 'query'),
      handle: ({ incident }) => incidents.pagerDutyStatus(incident.id),
    }),
  );

  router.get(
    '/:id/comms/pagerduty/preview',
    incidentRoute({
      checks: [],
      input: req =>
        parseInput(pagerDutyPreviewQuery, req.query, 'query').action,
      handle: ({ incident, input }) =>
        incidents.previewPagerDuty(incident.id, input),
    }),
  );

  router.post(
    '/:id/comms/pagerduty',
    incidentRoute({
      checks: [needs.send],
      input: req => ({
        ...parseInput(pagerDutySendBody, req.body, 'PagerDuty event'),
        idempotencyKey: idempotencyKeyOf(req),
      }),
      audit: {
        eventId: 'incident-comms-pagerduty',
        meta: event => ({ channel: 'pagerduty', action: event.action }),
      },
      status: 201,
      handle: ({ incident, input, actor }) =>
        incidents.sendPagerDuty(
          incident.id,
          input.action,
          input.text,
          actor,
          input.idempotencyKey,
        ),
    }),
  );

  // ---- evidence

  router.post(
    '/:id/evidence',
    incidentRoute({
      checks: [needs.evidence, needs.logs],
      input: noBodyOf,
      audit: { eventId: 'incident-evidence' },
      status: 202,
      handle: ({ incident, actor }) =>
        incidents.startEvidence(incident.id, actor),
    }),
  );

  router.get(
    '/:id/evidence',
    listRoute(id => incidents.listBundles(id), [needs.logs]),
  );

  const bundleIdOf = (req: Request) =>
    parseInput(bundleParams, req.params, 'bundle id').bundleId;

  router.get(
    '/:id/evidence/:bundleId',
    incidentRoute({
      checks: [needs.logs],
      input: bundleIdOf,
      handle: ({ incident, input }) => incidents.bundle(incident.id, input),
    }),
  );

  router.get(
    '/:id/evidence/:bundleId/download',
    incidentRoute({
      checks: [needs.logs],
      input: bundleIdOf,
      handle: async ({ incident, input: bundleId }, res) => {
        download(
          res,
          'application/gzip',
          `incident-${incident.id}-evidence-${bundleId}.tar.gz`,
          await incidents.bundleContent(incident.id, bundleId),
        );
      },
    }),
  );

  // ---- postmortem

  router.get(
    '/:id/postmortem',
    incidentRoute({
      checks: [needs.logs],
      handle: ({ incident }) => incidents.postmortem(incident.id),
    }),
  );

  router.put(
    '/:id/postmortem',
    incidentRoute({
      checks: [needs.postmortem],
      input: req => parseInput(postmortemBody, req.body, 'postmortem').markdown,
      audit: { eventId: 'incident-postmortem-save' },
      handle: ({ incident, input, actor }) =>
        incidents.savePostmortem(incident.id, input, actor),
    }),
  );

  router.get(
    '/:id/postmortem/download',
    incidentRoute({
      checks: [needs.logs],
      handle: async ({ incident }, res) => {
        download(
          res,
          'text/markdown; charset=utf-8',
          `postmortem-${incident.id}.md`,
          (await incidents.postmortem(incident.id)).markdown,
        );
      },
    }),
  );

  return router;
}
