import type {
  AuditorService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { Request } from 'express';
import { DatabaseStore } from '../database/migrations';

/** Why the gate refused: a permission denied, or an integration the entity is not bound to. */
export type AccessOutcome = 'denied' | 'unbound';

/** One request the entity gate refused. Names and refs only: never a body, header or value. */
export interface AccessRefusal {
  actor: string;
  entityRef: string;
  outcome: AccessOutcome;
  reason: string;
  integration?: string;
  permission?: string;
  request?: Request;
}

/** A refusal as it is read back. */
export interface AccessAuditEntry {
  id: number;
  actor: string;
  entityRef: string;
  integration?: string;
  outcome: AccessOutcome;
  permission?: string;
  request: string;
  reason: string;
  at: string;
}

const clip = (text: string, max: number) =>
  text.length > max ? text.slice(0, max) : text;

/** "GET /api/…/logs": the method and path of a request, never its query or body. */
function requestLine(request: Request | undefined): string {
  if (!request) return '-';
  const path = (request.originalUrl ?? request.url ?? '').split('?')[0];
  return clip(`${request.method} ${path}`, 255);
}

/** The refused requests, append-only: there is no update or delete method on purpose. */
export class AccessAuditStore extends DatabaseStore {
  async append(refusal: AccessRefusal, at = Date.now()): Promise<void> {
    await this.knex('vastai_access_audit').insert({
      actor: clip(refusal.actor, 255),
      entity_ref: clip(refusal.entityRef, 255),
      integration:
        refusal.integration === undefined
          ? null
          : clip(refusal.integration, 255),
      outcome: refusal.outcome,
      permission: refusal.permission ?? null,
      request: requestLine(refusal.request),
      reason: refusal.reason,
      at,
    });
  }

  async list(entityRef: string, limit = 100): Promise<AccessAuditEntry[]> {
    const rows = await this.knex('vastai_access_audit')
      .where({ entity_ref: entityRef })
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(r => ({
      id: Number(r.id),
      actor: r.actor,
      entityRef: r.entity_ref,
      integration: r.integration ?? undefined,
      outcome: r.outcome,
      permission: r.permission ?? undefined,
      request: r.request,
      reason: r.reason,
      at: new Date(Number(r.at)).toISOString(),
    }));
  }
}

/**
 * Puts every refusal of the entity gate on record twice: a row in `vastai_access_audit` and a
 * failed `entity-access-refused` auditor event (high severity for a missing binding: an entity
 * pointed at an integration that is not its own). A record that cannot be written is logged and
 * the request is refused all the same.
 */
export class AccessAudit {
  constructor(
    private readonly options: {
      store: AccessAuditStore;
      auditor: AuditorService;
      logger: LoggerService;
    },
  ) {}

  async refused(refusal: AccessRefusal, error: Error): Promise<void> {
    const { store, auditor, logger } = this.options;
    const meta: Record<string, string> = {
      entityRef: refusal.entityRef,
      outcome: refusal.outcome,
      ...(refusal.integration ? { integration: refusal.integration } : {}),
      ...(refusal.permission ? { permission: refusal.permission } : {}),
    };
    try {
      await store.append(refusal);
    } catch (failure) {
      logger.warn(
        `could not record the refusal of ${refusal.entityRef} to ${
          refusal.actor
        }: ${(failure as Error).message}`,
      );
    }
    try {
      const event = await auditor.createEvent({
        eventId: 'entity-access-refused',
        severityLevel: refusal.outcome === 'unbound' ? 'high' : 'medium',
        request: refusal.request,
        meta,
      });
      await event.fail({ error });
    } catch (failure) {
      logger.warn(
        `could not send the refusal auditor event: ${
          (failure as Error).message
        }`,
      );
    }
  }
}
