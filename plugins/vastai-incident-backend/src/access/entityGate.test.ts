import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { vastaiIncidentManagePermission } from '@vastai-incident/backstage-plugin-common';
import type { Request } from 'express';
import type { IntegrationConfig } from '../config';
import { DEFAULT_TRIAGE_THRESHOLDS } from '../triage';
import type { AccessRefusal } from './accessAudit';
import { EntityGate, readEntityData, readEntityLogs } from './entityGate';

const entity = (name: string, integration?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: integration ? { 'vast.ai/integration': integration } : {},
  },
});

const INTEGRATION: IntegrationConfig = {
  name: 'vastai-integration',
  title: 'Vast.ai integration',
  entities: new Set(['component:default/vastai-integration']),
  thresholds: DEFAULT_TRIAGE_THRESHOLDS,
};
const req = {} as Request;
const params = (name: string) => ({
  namespace: 'Default',
  kind: 'Component',
  name,
});

function gate(options: { allow?: boolean; signedIn?: boolean } = {}) {
  const catalog = catalogServiceMock({
    entities: [
      entity('vastai-integration', 'vastai-integration'),
      entity('plain-service'),
      entity('misconfigured', 'not-in-config'),
      // Annotated with an integration that does not list it.
      entity('intruder', 'vastai-integration'),
      entity('long-annotation', 'x'.repeat(256)),
    ],
  });
  const lookups = jest.spyOn(catalog, 'getEntityByRef');
  const decisions: string[] = [];
  const httpAuth = {
    credentials: async () => {
      if (options.signedIn === false) throw new Error('401');
      return mockCredentials.user();
    },
  } as unknown as HttpAuthService;
  const permissions = {
    authorize: async (requests: Array<{ resourceRef: string }>) =>
      requests.map(r => {
        decisions.push(r.resourceRef);
        return {
          result:
            options.allow === false || r.resourceRef.endsWith('/hidden')
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
        };
      }),
    authorizeConditional: async () => [],
  } as unknown as PermissionsService;
  const refusals: Array<AccessRefusal & { error: Error }> = [];
  return {
    gate: new EntityGate({
      httpAuth,
      permissions,
      catalog: catalog as CatalogService,
      integrations: new Map([['vastai-integration', INTEGRATION]]),
      audit: {
        refused: async (refusal, error) => {
          refusals.push({ ...refusal, error });
        },
      },
      lookupTtlMs: 0,
    }),
    lookups,
    decisions,
    refusals,
  };
}

describe('EntityGate', () => {
  it('normalises the ref, checks the permission on it, and resolves the integration', async () => {
    const { gate: g, decisions } = gate();
    const access = await g.forEntity(
      req,
      params('vastai-integration'),
      readEntityData,
    );
    expect(access.entityRef).toBe('component:default/vastai-integration');
    expect(access.integration).toBe(INTEGRATION);
    expect(decisions).toEqual(['component:default/vastai-integration']);
  });

  it('answers 400, 401, 403 and 404 in that order, with the words the routes use', async () => {
    const bad = gate({ signedIn: false });
    await expect(
      bad.gate.forEntity(req, params('bad name'), readEntityData),
    ).rejects.toMatchObject({ name: 'InputError' });
    await expect(
      bad.gate.forEntity(req, params('vastai-integration'), readEntityData),
    ).rejects.toThrow('401');

    const denied = gate({ allow: false });
    await expect(
      denied.gate.forEntity(req, params('vastai-integration'), readEntityData),
    ).rejects.toThrow(
      'Not allowed to read the Vast.ai incident data for component:default/vastai-integration (needs vastai.incident.read)',
    );
    expect(denied.refusals).toMatchObject([
      {
        outcome: 'denied',
        permission: 'vastai.incident.read',
        entityRef: 'component:default/vastai-integration',
        actor: 'user:default/mock',
      },
    ]);

    const { gate: g } = gate();
    for (const [name, message] of [
      ['missing', 'No entity component:default/missing'],
      ['plain-service', 'has no vast.ai/integration annotation'],
      ['misconfigured', 'names integration "not-in-config", which is not'],
    ]) {
      await expect(
        g.forEntity(req, params(name), readEntityData),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
        message: expect.stringContaining(message),
      });
    }
  });

  it("runs a service's own check in the same place, and uses nothing of the entity when it refuses", async () => {
    const { gate: g, lookups } = gate();
    const refusal = new NotAllowedError('Not allowed to run queue-mode');
    const check = jest.fn(async () => {
      throw refusal;
    });
    await expect(g.forEntity(req, params('missing'), check)).rejects.toBe(
      refusal,
    );
    expect(check).toHaveBeenCalledWith({
      credentials: expect.anything(),
      entityRef: 'component:default/missing',
      request: req,
    });
    // Read in parallel with the check, but the refusal wins over the 404.
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('authorizes for the plugin’s own records: a missing entity passes, an unbound one does not', async () => {
    const { gate: g } = gate();
    const subject = await g.authorize(req, params('missing'), readEntityData);
    expect(subject.entityRef).toBe('component:default/missing');
    await expect(
      g.authorize(req, params('intruder'), readEntityData),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
  });

  it('keeps an entity without a configured integration where a record allows it', async () => {
    const { gate: g } = gate();
    const credentials = mockCredentials.user();
    await expect(
      g.entityIntegration({
        credentials,
        entityRef: 'component:default/plain-service',
      }),
    ).resolves.toEqual({ name: undefined, integration: undefined });
    await expect(
      g.entityIntegration({
        credentials,
        entityRef: 'component:default/misconfigured',
      }),
    ).resolves.toEqual({ name: 'not-in-config', integration: undefined });
    await expect(
      g.entityIntegration({
        credentials,
        entityRef: 'component:default/missing',
      }),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('filters refs by one batch decision', async () => {
    const { gate: g, decisions } = gate();
    const credentials = mockCredentials.user();
    const allowed = await g.allowedEntityRefs(
      credentials,
      vastaiIncidentManagePermission,
      [
        'component:default/a',
        'component:default/hidden',
        'component:default/a',
      ],
    );
    expect([...allowed]).toEqual(['component:default/a']);
    expect(decisions).toEqual([
      'component:default/a',
      'component:default/hidden',
    ]);
    expect(
      await g.allowedEntityRefs(
        credentials,
        vastaiIncidentManagePermission,
        [],
      ),
    ).toEqual(new Set());
  });

  it('refuses an entity whose annotation names an integration not bound to it (403 naming the binding), and records it', async () => {
    const { gate: g, refusals } = gate();
    for (const check of [readEntityData, readEntityLogs]) {
      await expect(
        g.forEntity(req, params('intruder'), check),
      ).rejects.toMatchObject({
        name: 'NotAllowedError',
        message:
          'component:default/intruder is not bound to integration "vastai-integration": vastaiIncident.integrations.vastai-integration.entities does not list it',
      });
    }
    const subject = {
      credentials: mockCredentials.user(),
      entityRef: 'component:default/intruder',
    };
    await expect(g.entityIntegration(subject)).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
    await expect(g.requireBinding(subject)).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
    await expect(
      g.recordIntegration(subject, 'vastai-integration'),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect(refusals).toHaveLength(5);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({
        outcome: 'unbound',
        integration: 'vastai-integration',
        entityRef: 'component:default/intruder',
        reason: expect.stringContaining('is not bound to integration'),
      });
    }

    // The bound entity passes; records without a configured integration stay usable.
    await expect(
      g.recordIntegration(
        { ...subject, entityRef: 'component:default/vastai-integration' },
        'vastai-integration',
      ),
    ).resolves.toMatchObject({ name: 'vastai-integration' });
    await expect(
      g.requireBinding({ ...subject, entityRef: 'component:default/missing' }),
    ).resolves.toBeUndefined();
    expect(
      g.isBound({
        entityRef: 'component:default/intruder',
        integration: 'vastai-integration',
      }),
    ).toBe(false);
    expect(
      g.isBound({
        entityRef: 'component:default/intruder',
        integration: 'not-in-config',
      }),
    ).toBe(true);
  });

  it('gives a caller without a request (a Backstage action) the same checks, binding and records', async () => {
    const credentials = mockCredentials.user();
    const { gate: g, decisions } = gate();
    const access = await g.forCaller(
      credentials,
      'Component:Default/vastai-integration',
      readEntityData,
    );
    expect(access).toEqual({
      credentials,
      entityRef: 'component:default/vastai-integration',
      integration: INTEGRATION,
    });
    expect(decisions).toEqual(['component:default/vastai-integration']);

    // Own records: a missing entity passes, an unbound one is refused and recorded.
    await expect(
      g.authorizeCaller(
        credentials,
        'component:default/missing',
        readEntityData,
      ),
    ).resolves.toMatchObject({ entityRef: 'component:default/missing' });
    const unbound = gate();
    await expect(
      unbound.gate.forCaller(
        credentials,
        'component:default/intruder',
        readEntityLogs,
      ),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringContaining('is not bound to integration'),
    });
    await expect(
      unbound.gate.authorizeCaller(
        credentials,
        'component:default/intruder',
        readEntityData,
      ),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect(unbound.refusals).toMatchObject([
      { outcome: 'unbound', request: undefined },
      { outcome: 'unbound', request: undefined },
    ]);

    const denied = gate({ allow: false });
    await expect(
      denied.gate.forCaller(
        credentials,
        'component:default/vastai-integration',
        readEntityData,
      ),
    ).rejects.toThrow(
      'Not allowed to read the Vast.ai incident data for component:default/vastai-integration (needs vastai.incident.read)',
    );
    expect(denied.refusals).toMatchObject([
      { outcome: 'denied', actor: 'user:default/mock' },
    ]);
  });

  it('refuses a caller that is not a user, and a ref that is not kind:namespace/name', async () => {
    const { gate: g, decisions } = gate();
    await expect(
      g.forCaller(
        mockCredentials.service('plugin:scaffolder'),
        'component:default/vastai-integration',
        readEntityData,
      ),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
    for (const ref of ['vastai-integration', 'component:default/bad name']) {
      await expect(
        g.forCaller(mockCredentials.user(), ref, readEntityData),
      ).rejects.toMatchObject({ name: 'InputError' });
    }
    expect(decisions).toEqual([]);
  });

  it('answers 400 for an annotation longer than the columns that keep it', async () => {
    const { gate: g } = gate();
    await expect(
      g.forEntity(req, params('long-annotation'), readEntityData),
    ).rejects.toMatchObject({
      name: 'InputError',
      message:
        'The vast.ai/integration annotation of component:default/long-annotation is longer than 255 characters',
    });
  });

  it('hides what the caller may not see behind the given 404, and records the refusal', async () => {
    const { gate: g, refusals } = gate();
    const subject = {
      credentials: mockCredentials.user(),
      entityRef: 'component:default/hidden',
    };
    const hidden = new NotFoundError('No incident 1');
    await expect(
      g.requireVisible(subject, readEntityData, hidden),
    ).rejects.toBe(hidden);
    expect(refusals).toMatchObject([
      { outcome: 'denied', permission: 'vastai.incident.read' },
    ]);
    expect(await g.allows(subject, readEntityData)).toBe(false);
    expect(refusals).toHaveLength(1);
  });
});
