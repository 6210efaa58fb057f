import type {
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  VASTAI_INTEGRATION_ANNOTATION,
  vastaiIncidentLogsReadPermission,
  vastaiIncidentReadPermission,
} from '@vastai-incident/backstage-plugin-common';
import type { Request } from 'express';
import type { IntegrationConfig } from '../config';
import { parseInput } from '../http/validation';
import type { AccessRefusal } from './accessAudit';
import { EntityIntegrationRef, EntityLookup } from './entityLookup';
import {
  entityParams,
  entityRefText,
  MAX_INTEGRATION_NAME_LENGTH,
  normalizeEntityRef,
} from './entityRef';

export type UserCredentials = BackstageCredentials<BackstageUserPrincipal>;

/** Who asks, about which entity (its ref normalised), and the request, for the record. */
export interface EntitySubject {
  credentials: UserCredentials;
  entityRef: string;
  request?: Request;
}

/**
 * Options of `forEntity`. `prepare` is handed the integration that lists the entity in its
 * binding (at once, or once the catalog says which one when several list it), while the entity
 * is read and the permission decided, so that reads of that integration can start early;
 * whatever it starts must not be answered before `forEntity` resolves (which it does only once
 * the caller is allowed and the entity's annotation names that integration). `timings` receives
 * the ms from the start to the entity read and to the permission decision.
 */
export interface AccessOptions {
  prepare?: (integration: IntegrationConfig) => void;
  timings?: { entity?: number; permission?: number };
}

/** An allowed subject and the configured integration its entity uses. */
export interface EntityAccess extends EntitySubject {
  integration: IntegrationConfig;
}

/** The integration an entity's annotation names: the name, and its config when configured. */
export interface EntityIntegration {
  name?: string;
  integration?: IntegrationConfig;
}

/**
 * What a route requires on the entity: a permission, refused as "Not allowed to <what> for
 * <ref>", or a service's own check (one that audits its refusals, as the actions do).
 */
export type EntityCheck =
  | PermissionCheck
  | ((subject: EntitySubject) => Promise<void>);

/** A permission on the entity, and what it allows in words ("read incidents"). */
export interface PermissionCheck {
  permission: ResourcePermission<'catalog-entity'>;
  what: string;
}

/** Reading an entity's signals, triage and action history needs the read permission on it. */
export const readEntityData: PermissionCheck = {
  permission: vastaiIncidentReadPermission,
  what: 'read the Vast.ai incident data',
};

/** Logs, evidence bundles and the timeline's contents: owners only, in the demo policy. */
export const readEntityLogs: PermissionCheck = {
  permission: vastaiIncidentLogsReadPermission,
  what: 'read the logs, evidence and timeline details',
};

/** Where the gate puts its refusals on record (an audit row and an auditor event). */
export interface RefusalRecorder {
  refused(refusal: AccessRefusal, error: Error): Promise<void>;
}

/** An entity named by its route's `:namespace/:kind/:name` params, or an already normalised ref. */
export type EntityTarget = string | object;

export interface EntityGateOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** The configured integrations, keyed by the annotation value that names them. */
  integrations: ReadonlyMap<string, IntegrationConfig>;
  /** Every refusal of the gate is recorded here. */
  audit: RefusalRecorder;
  /** How long an entity's annotation is remembered per user (default 5 s; 0 = every request). */
  lookupTtlMs?: number;
}

/**
 * The one way into an entity's data for every route: parse and normalise the ref (400), take the
 * user's credentials (401), check the permission on the entity (403), read the entity with the
 * user's own credentials and resolve the integration it names (404), which must be bound to the
 * entity in config (403). Every permission check of the plugin's routes goes through
 * `requirePermission`, which integration an entity may use is decided in `integrationOf` alone,
 * and every refusal is put on record.
 */
export class EntityGate {
  private readonly entities: EntityLookup;

  constructor(private readonly options: EntityGateOptions) {
    this.entities = new EntityLookup(
      options.catalog,
      options.lookupTtlMs ?? 5000,
    );
  }

  /** 401 unless the caller is a signed-in user (a service principal is refused too). */
  credentials(req: Request): Promise<UserCredentials> {
    return this.options.httpAuth.credentials(req, { allow: ['user'] });
  }

  /** 400 unless the target names an entity; the normalised ref otherwise. */
  entityRefOf(target: EntityTarget): string {
    if (typeof target === 'string') return target;
    return normalizeEntityRef(
      parseInput(entityParams, target, 'entity reference'),
    );
  }

  /** 403 unless the check allows the subject. */
  async requirePermission(
    subject: EntitySubject,
    check: EntityCheck,
  ): Promise<void> {
    if (typeof check === 'function') {
      await check(subject);
      return;
    }
    if (await this.allows(subject, check)) return;
    throw await this.refuse(
      subject,
      { outcome: 'denied', permission: check.permission.name },
      new NotAllowedError(
        `Not allowed to ${check.what} for ${subject.entityRef} (needs ${check.permission.name})`,
      ),
    );
  }

  /**
   * 404 (`hidden`) unless the check allows the subject: for records of the entity, which do not
   * exist for whoever may not see them. The refusal is on record all the same.
   */
  async requireVisible(
    subject: EntitySubject,
    check: PermissionCheck,
    hidden: Error,
  ): Promise<void> {
    if (await this.allows(subject, check)) return;
    throw await this.refuse(
      subject,
      { outcome: 'denied', permission: check.permission.name },
      hidden,
    );
  }

  /** Whether the permission allows the subject; for a lesser view, never a refusal. */
  async allows(
    subject: EntitySubject,
    check: PermissionCheck,
  ): Promise<boolean> {
    const [decision] = await this.options.permissions.authorize(
      [{ permission: check.permission, resourceRef: subject.entityRef }],
      { credentials: subject.credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  /** The refs among `entityRefs` on which the permission is allowed (one batch decision). */
  async allowedEntityRefs(
    credentials: UserCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    entityRefs: string[],
  ): Promise<Set<string>> {
    const refs = [...new Set(entityRefs)];
    if (!refs.length) return new Set();
    const decisions = await this.options.permissions.authorize(
      refs.map(resourceRef => ({ permission, resourceRef })),
      { credentials },
    );
    return new Set(
      refs.filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW),
    );
  }

  /**
   * 400, 401, 403: for routes that read only the plugin's own records of the entity. An entity
   * the catalog does not have passes (its records may outlive it); one whose integration is not
   * bound to it is refused.
   */
  async authorize(
    req: Request,
    target: EntityTarget,
    check: EntityCheck,
  ): Promise<EntitySubject> {
    return this.authorizeSubject(await this.subjectOf(req, target), check);
  }

  /**
   * `authorize` for a caller that is not an HTTP request (a Backstage action invoked through
   * the actions registry): the same checks and records, on the caller's own credentials.
   */
  async authorizeCaller(
    credentials: BackstageCredentials,
    entityRef: string,
    check: EntityCheck,
  ): Promise<EntitySubject> {
    return this.authorizeSubject(
      this.callerSubject(credentials, entityRef),
      check,
    );
  }

  /**
   * 400, 401, 403, 404: for routes that act on the entity's integration. The entity is read while
   * the permission is checked; nothing of it is used before the decision allows it.
   */
  async forEntity(
    req: Request,
    target: EntityTarget,
    check: EntityCheck,
    options: AccessOptions = {},
  ): Promise<EntityAccess> {
    return this.accessSubject(
      await this.subjectOf(req, target),
      check,
      options,
    );
  }

  /**
   * `forEntity` for a caller that is not an HTTP request (a Backstage action invoked through the
   * actions registry): the same checks, binding and records, on the caller's own credentials.
   */
  async forCaller(
    credentials: BackstageCredentials,
    entityRef: string,
    check: EntityCheck,
  ): Promise<EntityAccess> {
    return this.accessSubject(
      this.callerSubject(credentials, entityRef),
      check,
    );
  }

  /**
   * 400 unless `entityRef` is an entity ref (`kind:namespace/name`), normalised as the routes'
   * params are; 403 unless the credentials are a user's (a service acting on its own is refused,
   * as the routes refuse it).
   */
  callerSubject(
    credentials: BackstageCredentials,
    entityRef: string,
  ): EntitySubject {
    const ref = parseInput(entityRefText(), entityRef, 'entity reference');
    if ((credentials.principal as { type?: string }).type !== 'user') {
      throw new NotAllowedError(
        `Only a signed-in user may use the Vast.ai incident data of ${ref}`,
      );
    }
    return { credentials: credentials as UserCredentials, entityRef: ref };
  }

  private async authorizeSubject(
    subject: EntitySubject,
    check: EntityCheck,
  ): Promise<EntitySubject> {
    await this.requirePermission(subject, check);
    await this.requireBinding(subject);
    return subject;
  }

  private async accessSubject(
    subject: EntitySubject,
    check: EntityCheck,
    options: AccessOptions = {},
  ): Promise<EntityAccess> {
    const { entityRef } = subject;
    const { timings, prepare } = options;
    const started = Date.now();
    // Only for an integration that lists the entity; refusals stay with the checks below. The
    // binding in config names it before the catalog answers, unless two integrations list it.
    const listing = [...this.options.integrations.values()].filter(i =>
      i.entities.has(entityRef),
    );
    if (prepare && listing.length === 1) prepare(listing[0]);
    const entityRead = this.entities.lookup(entityRef, subject.credentials);
    entityRead.then(
      entity => {
        if (timings) timings.entity = Date.now() - started;
        const name = entity.found ? entity.integrationName : undefined;
        const named = name ? this.options.integrations.get(name) : undefined;
        if (prepare && named && listing.length > 1 && listing.includes(named))
          prepare(named);
      },
      () => undefined,
    );
    await this.requirePermission(subject, check);
    if (timings) timings.permission = Date.now() - started;
    const { name, integration } = await this.integrationOf(
      subject,
      await entityRead,
    );
    if (!name) {
      throw new NotFoundError(
        `${entityRef} has no ${VASTAI_INTEGRATION_ANNOTATION} annotation`,
      );
    }
    if (!integration) {
      throw new NotFoundError(
        `${entityRef} names integration "${name.slice(
          0,
          100,
        )}", which is not configured`,
      );
    }
    return { ...subject, integration };
  }

  /**
   * 404 unless the entity exists for this user, 403 unless the integration it names is bound to
   * it; the integration, if any, for records that may be kept without one (an incident can be
   * declared on any entity).
   */
  async entityIntegration(subject: EntitySubject): Promise<EntityIntegration> {
    const entity = await this.entities.lookup(
      subject.entityRef,
      subject.credentials,
    );
    return this.integrationOf(subject, entity);
  }

  /**
   * 403 unless the integration a record of the entity was kept with (an incident's) is still
   * bound to it: the record's channels and signals are that integration's.
   */
  async recordIntegration(
    subject: EntitySubject,
    integrationName: string | undefined,
  ): Promise<EntityIntegration> {
    return this.integrationOf(subject, {
      found: true,
      integrationName,
    });
  }

  /**
   * 403 when the entity exists and names an integration it is not bound to; nothing otherwise
   * (the caller lists the plugin's own records of the entity).
   */
  async requireBinding(subject: EntitySubject): Promise<void> {
    const entity = await this.entities.lookup(
      subject.entityRef,
      subject.credentials,
    );
    if (entity.found) await this.integrationOf(subject, entity);
  }

  /** Whether a record kept with an integration may still be used with it (for listings). */
  isBound(record: { entityRef: string; integration?: string }): boolean {
    return this.bindingOf(record.entityRef, record.integration) !== 'unbound';
  }

  /** 400, then 401: the entity asked about, then who asks. */
  async subjectOf(req: Request, target: EntityTarget): Promise<EntitySubject> {
    const entityRef = this.entityRefOf(target);
    return {
      credentials: await this.credentials(req),
      entityRef,
      request: req,
    };
  }

  /**
   * Which configured integration an entity uses: decided here and nowhere else. The annotation
   * only names one; the integration's `entities` must list the entity too.
   */
  private async integrationOf(
    subject: EntitySubject,
    entity: EntityIntegrationRef,
  ): Promise<EntityIntegration> {
    const { entityRef } = subject;
    if (!entity.found) throw new NotFoundError(`No entity ${entityRef}`);
    const name = entity.integrationName;
    if (name === undefined || name === '') return {};
    if (name.length > MAX_INTEGRATION_NAME_LENGTH) {
      throw new InputError(
        `The ${VASTAI_INTEGRATION_ANNOTATION} annotation of ${entityRef} is longer than ${MAX_INTEGRATION_NAME_LENGTH} characters`,
      );
    }
    const integration = this.options.integrations.get(name);
    if (this.bindingOf(entityRef, name) === 'unbound') {
      throw await this.refuse(
        subject,
        { outcome: 'unbound', integration: name },
        new NotAllowedError(
          `${entityRef} is not bound to integration "${name}": vastaiIncident.integrations.${name}.entities does not list it`,
        ),
      );
    }
    return { name, integration };
  }

  /** The binding rule: a configured integration serves only the entities it lists. */
  private bindingOf(
    entityRef: string,
    name: string | undefined,
  ): 'bound' | 'unbound' | 'not-configured' {
    const integration = name ? this.options.integrations.get(name) : undefined;
    if (!integration) return 'not-configured';
    return integration.entities.has(entityRef) ? 'bound' : 'unbound';
  }

  /** Puts a refusal on record; the error to throw. */
  private async refuse(
    subject: EntitySubject,
    refusal: Pick<AccessRefusal, 'outcome' | 'integration' | 'permission'>,
    error: Error,
  ): Promise<Error> {
    const principal = subject.credentials.principal as {
      userEntityRef?: string;
    };
    await this.options.audit.refused(
      {
        ...refusal,
        actor: principal.userEntityRef ?? 'unknown',
        entityRef: subject.entityRef,
        reason: error.message,
        request: subject.request,
      },
      error,
    );
    return error;
  }
}
