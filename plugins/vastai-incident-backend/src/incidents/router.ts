import type {
  AuditorService,
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  vastaiCommsSendPermission,
  vastaiIncidentManagePermission,
  vastaiIncidentReadPermission,
  VASTAI_INTEGRATION_ANNOTATION,
} from '@internal/plugin-vastai-incident-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { ENTITY_NAME_PATTERN, jsonBody, parseInput } from '../http/validation';
import type { IncidentService } from './service';
import {
  COMM_CHANNELS,
  INCIDENT_STATUSES,
  Incident,
  SEVERITIES,
} from './types';

export interface IncidentsRouterDeps {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  incidents: IncidentService;
  /** Every change is an auditor event when given (it should be: coreServices.auditor). */
  auditor?: AuditorService;
}

/** An entity ref, normalised (kind and namespace lower case), or a zod issue. */
const entityRefSchema = (kind?: string) =>
  z
    .string()
    .min(3)
    .max(255)
    .transform((value, ctx) => {
      try {
        const ref = parseEntityRef(value);
        if (kind && ref.kind.toLocaleLowerCase('en-US') !== kind) {
          ctx.addIssue({
            code: 'custom',
            message: `must be a ${kind} entity ref`,
          });
          return z.NEVER;
        }
        if (!ENTITY_NAME_PATTERN.test(ref.name)) {
          ctx.addIssue({ code: 'custom', message: 'invalid entity name' });
          return z.NEVER;
        }
        return stringifyEntityRef({
          kind: ref.kind.toLocaleLowerCase('en-US'),
          namespace: ref.namespace.toLocaleLowerCase('en-US'),
          name: ref.name,
        });
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'not an entity ref (kind:namespace/name)',
        });
        return z.NEVER;
      }
    });

const text = (max: number) => z.string().trim().min(1).max(max);
const severity = z.enum(SEVERITIES);
const status = z.enum(INCIDENT_STATUSES);

const declareBody = z
  .object({
    entityRef: entityRefSchema(),
    title: text(200),
    severity: severity.optional(),
    impact: text(2000),
    commander: entityRefSchema('user').optional(),
  })
  .strict();
const updateBody = z
  .object({
    status: status.optional(),
    severity: severity.optional(),
    commander: entityRefSchema('user').optional(),
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
    entityRef: entityRefSchema().optional(),
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
const postmortemBody = z.object({ markdown: text(200_000) }).strict();
const noQuery = z.object({}).strict();
const noBody = z.union([z.undefined(), z.object({}).strict()]);

/**
 * Incidents, communications, evidence and postmortems. Mount under `/v1`
 * (answers `/v1/incidents...`, i.e. `/api/vastai-incident/v1/incidents...`).
 */
export async function createIncidentsRouter(
  deps: IncidentsRouterDeps,
): Promise<express.Router> {
  const { httpAuth, permissions, catalog, incidents, auditor } = deps;
  const router = Router();
  router.use(jsonBody('512kb'));

  const user = (req: Request) => httpAuth.credentials(req, { allow: ['user'] });
  const actorOf = (c: BackstageCredentials<BackstageUserPrincipal>) =>
    c.principal.userEntityRef;

  async function authorize(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    what: string,
  ) {
    const [decision] = await permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed to ${what} for ${entityRef}`);
    }
  }

  /** 401, 400, 404, then 403: credentials, input, the incident, the permission on its entity. */
  async function incidentFor(
    req: Request,
    permission: ResourcePermission<'catalog-entity'>,
    what: string,
  ) {
    const credentials = await user(req);
    const { id } = parseInput(idParams, { id: req.params.id }, 'incident id');
    const incident = await incidents.get(id);
    await authorize(credentials, permission, incident.entityRef, what);
    return { credentials, incident, actor: actorOf(credentials) };
  }

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

  // ---- incidents

  router.post('/incidents', async (req, res) => {
    const credentials = await user(req);
    const body = parseInput(declareBody, req.body, 'incident');
    await authorize(
      credentials,
      vastaiIncidentManagePermission,
      body.entityRef,
      'declare an incident',
    );
    const incident = await audited(
      req,
      'incident-declare',
      { entityRef: body.entityRef, severity: body.severity },
      async () => {
        const entity = await catalog.getEntityByRef(body.entityRef, {
          credentials,
        });
        if (!entity) throw new NotFoundError(`No entity ${body.entityRef}`);
        const integration =
          entity.metadata.annotations?.[VASTAI_INTEGRATION_ANNOTATION];
        return incidents.declare(
          { ...body, integration },
          actorOf(credentials),
        );
      },
    );
    res.status(201).json(incident);
  });

  router.get('/incidents', async (req, res) => {
    const credentials = await user(req);
    const query = parseInput(listQuery, req.query, 'query');
    const all = await incidents.list({
      status: query.status,
      severity: query.severity,
      entityRef: query.entityRef,
      open: query.open === 'true' ? true : undefined,
    });
    // Portal-wide, but only the incidents of entities the caller may read.
    const refs = [...new Set(all.map(i => i.entityRef))];
    const decisions = refs.length
      ? await permissions.authorize(
          refs.map(ref => ({
            permission: vastaiIncidentReadPermission,
            resourceRef: ref,
          })),
          { credentials },
        )
      : [];
    const readable = new Set(
      refs.filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW),
    );
    let items: Incident[] = all.filter(i => readable.has(i.entityRef));
    if (query.open === 'false')
      items = items.filter(i => i.status === 'resolved');
    res.json({ items });
  });

  router.get('/incidents/:id', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    const [timeline, messages, evidence] = await Promise.all([
      incidents.timeline(incident.id),
      incidents.listMessages(incident.id),
      incidents.listBundles(incident.id),
    ]);
    res.json({ ...incident, timeline, messages, evidence });
  });

  router.patch('/incidents/:id', async (req, res) => {
    await user(req);
    parseInput(idParams, { id: req.params.id }, 'incident id');
    const body = parseInput(updateBody, req.body, 'change');
    const { incident, actor } = await incidentFor(
      req,
      vastaiIncidentManagePermission,
      'manage incidents',
    );
    const updated = await audited(
      req,
      'incident-update',
      {
        incidentId: incident.id,
        entityRef: incident.entityRef,
        status: body.status,
        severity: body.severity,
      },
      () => incidents.update(incident.id, body, actor),
    );
    res.json(updated);
  });

  router.get('/incidents/:id/timeline', async (req, res) => {
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    res.json({ items: await incidents.timeline(incident.id) });
  });

  router.post('/incidents/:id/notes', async (req, res) => {
    await user(req);
    parseInput(idParams, { id: req.params.id }, 'incident id');
    const { text: note } = parseInput(noteBody, req.body, 'note');
    const { incident, actor } = await incidentFor(
      req,
      vastaiIncidentManagePermission,
      'manage incidents',
    );
    const timeline = await audited(
      req,
      'incident-note',
      { incidentId: incident.id, entityRef: incident.entityRef },
      () => incidents.addNote(incident.id, note, actor),
    );
    res.status(201).json({ items: timeline });
  });

  // ---- communications

  router.get('/incidents/:id/comms/preview', async (req, res) => {
    await user(req);
    parseInput(idParams, { id: req.params.id }, 'incident id');
    const { channel } = parseInput(previewQuery, req.query, 'query');
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    res.json(await incidents.preview(incident.id, channel));
  });

  router.get('/incidents/:id/comms', async (req, res) => {
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    res.json({ items: await incidents.listMessages(incident.id) });
  });

  router.post('/incidents/:id/comms', async (req, res) => {
    await user(req);
    parseInput(idParams, { id: req.params.id }, 'incident id');
    const body = parseInput(sendBody, req.body, 'message');
    const { incident, actor } = await incidentFor(
      req,
      vastaiCommsSendPermission,
      'send messages',
    );
    const message = await audited(
      req,
      'incident-comms-send',
      {
        incidentId: incident.id,
        entityRef: incident.entityRef,
        channel: body.channel,
      },
      () => incidents.send(incident.id, body.channel, body.text, actor),
    );
    res.status(201).json(message);
  });

  router.post('/incidents/:id/comms/:commId/retry', async (req, res) => {
    await user(req);
    const { commId } = parseInput(commParams, req.params, 'message id');
    parseInput(
      noBody,
      req.body && Object.keys(req.body).length ? req.body : undefined,
      'body',
    );
    const { incident, actor } = await incidentFor(
      req,
      vastaiCommsSendPermission,
      'send messages',
    );
    const message = await audited(
      req,
      'incident-comms-retry',
      {
        incidentId: incident.id,
        entityRef: incident.entityRef,
        messageId: commId,
      },
      () => incidents.retry(incident.id, commId, actor),
    );
    res.json(message);
  });

  // ---- evidence

  router.post('/incidents/:id/evidence', async (req, res) => {
    await user(req);
    parseInput(idParams, { id: req.params.id }, 'incident id');
    parseInput(
      noBody,
      req.body && Object.keys(req.body).length ? req.body : undefined,
      'body',
    );
    const { incident, actor } = await incidentFor(
      req,
      vastaiIncidentManagePermission,
      'build evidence',
    );
    const bundle = await audited(
      req,
      'incident-evidence',
      { incidentId: incident.id, entityRef: incident.entityRef },
      () => incidents.startEvidence(incident.id, actor),
    );
    res.status(202).json(bundle);
  });

  router.get('/incidents/:id/evidence', async (req, res) => {
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    res.json({ items: await incidents.listBundles(incident.id) });
  });

  router.get('/incidents/:id/evidence/:bundleId', async (req, res) => {
    await user(req);
    const { bundleId } = parseInput(bundleParams, req.params, 'bundle id');
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    res.json(await incidents.bundle(incident.id, bundleId));
  });

  router.get('/incidents/:id/evidence/:bundleId/download', async (req, res) => {
    await user(req);
    const { bundleId } = parseInput(bundleParams, req.params, 'bundle id');
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    const content = await incidents.bundleContent(incident.id, bundleId);
    res
      .status(200)
      .type('application/gzip')
      .setHeader(
        'content-disposition',
        `attachment; filename="incident-${incident.id}-evidence-${bundleId}.tar.gz"`,
      );
    res.end(content);
  });

  // ---- postmortem

  router.get('/incidents/:id/postmortem', async (req, res) => {
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    res.json(await incidents.postmortem(incident.id));
  });

  router.put('/incidents/:id/postmortem', async (req, res) => {
    await user(req);
    parseInput(idParams, { id: req.params.id }, 'incident id');
    const { markdown } = parseInput(postmortemBody, req.body, 'postmortem');
    const { incident, actor } = await incidentFor(
      req,
      vastaiIncidentManagePermission,
      'edit the postmortem',
    );
    const saved = await audited(
      req,
      'incident-postmortem-save',
      { incidentId: incident.id, entityRef: incident.entityRef },
      () => incidents.savePostmortem(incident.id, markdown, actor),
    );
    res.json(saved);
  });

  router.get('/incidents/:id/postmortem/download', async (req, res) => {
    const { incident } = await incidentFor(
      req,
      vastaiIncidentReadPermission,
      'read incidents',
    );
    const postmortem = await incidents.postmortem(incident.id);
    res
      .status(200)
      .type('text/markdown; charset=utf-8')
      .setHeader(
        'content-disposition',
        `attachment; filename="postmortem-${incident.id}.md"`,
      );
    res.end(postmortem.markdown);
  });

  return router;
}
