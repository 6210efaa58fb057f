import type {
  AuditorService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { AccessRefusal } from '../access/accessAudit';
import { EntityGate } from '../access/entityGate';
import type { ActionsService } from '../actions';
import type { IntegrationConfig } from '../config';
import type { IncidentService } from '../incidents';
import { createRedactor } from '../redact';
import type { SignalService } from '../signals';
import { DEFAULT_TRIAGE_THRESHOLDS } from '../triage';
import { registerBackstageActions } from '.';

const OWNED = 'component:default/vastai-integration';
const OPERATOR_KEY = 'operator-key-0123456789-secret';
const INTEGRATION: IntegrationConfig = {
  name: 'vastai-integration',
  title: 'Vast.ai integration',
  entities: new Set([OWNED]),
  thresholds: DEFAULT_TRIAGE_THRESHOLDS,
  kubernetes: {
    cluster: 'sandbox',
    namespace: 'vastai',
    deployment: 'vastai-integration',
  },
};
const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'vastai-integration',
    namespace: 'default',
    annotations: { 'vast.ai/integration': 'vastai-integration' },
  },
};
const alice = mockCredentials.user('user:default/alice');

/** The action layer over the real entity gate, with the services it calls recorded. */
function setup(
  options: { denied?: string[]; allowKeyRotation?: boolean } = {},
) {
  const registry = actionsRegistryServiceMock();
  const decisions: string[] = [];
  const permissions = {
    authorize: async (requests: any[]) =>
      requests.map(r => {
        decisions.push(r.permission.name);
        return {
          result: options.denied?.includes(r.permission.name)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
        };
      }),
    authorizeConditional: async () => [],
  } as unknown as PermissionsService;
  const refusals: AccessRefusal[] = [];
  const gate = new EntityGate({
    httpAuth: mockServices.httpAuth(),
    permissions,
    catalog: catalogServiceMock({ entities: [entity] }) as CatalogService,
    integrations: new Map([[INTEGRATION.name, INTEGRATION]]),
    audit: { refused: async refusal => void refusals.push(refusal) },
    lookupTtlMs: 0,
  });
  const actions = {
    authorize: jest.fn(async (attempt: any) => {
      const [decision] = await permissions.authorize(
        [
          {
            permission: {
              name:
                attempt.actionId === 'rotate-api-key'
                  ? 'vastai.secret.rotate'
                  : 'vastai.remediation.execute',
            },
            resourceRef: attempt.entityRef,
          } as any,
        ],
        { credentials: attempt.credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        const error = new Error(`Not allowed to run ${attempt.actionId}`);
        error.name = 'NotAllowedError';
        throw error;
      }
    }),
    run: jest.fn(async (req: any) => ({
      httpStatus: 200,
      run: {
        runId: '6f1c2a4e-3b7d-4c1a-9e2f-0a1b2c3d4e5f',
        entityRef: req.entityRef,
        integration: req.integration.name,
        actionId: req.actionId,
        dryRun: req.dryRun,
        actor: 'user:default/alice',
        status: req.dryRun ? 'dry-run' : 'succeeded',
        phase: 'done',
        diff: [],
        idempotencyKey: req.idempotencyKey,
        startedAt: new Date().toISOString(),
      },
    })),
    getRun: jest.fn(),
  };
  const signals = { collect: jest.fn() };
  const events: Array<{ eventId: string; meta?: any; failed?: Error }> = [];
  const auditor = {
    createEvent: async (o: any) => {
      const event: (typeof events)[number] = {
        eventId: o.eventId,
        meta: o.meta,
      };
      events.push(event);
      return {
        success: async () => undefined,
        fail: async ({ error }: { error: Error }) => {
          event.failed = error;
        },
      };
    },
  } as unknown as AuditorService;
  registerBackstageActions({
    registry,
    gate,
    signals: signals as unknown as SignalService,
    actions: actions as unknown as ActionsService,
    incidents: {} as IncidentService,
    settings: { allowKeyRotation: options.allowKeyRotation ?? false },
    auditor,
    logger: mockServices.logger.mock(),
    redact: createRedactor([OPERATOR_KEY]),
  });
  const invoke = (name: string, input: any, credentials: any = alice) =>
    registry.invoke({ id: `test:${name}`, input, credentials });
  return { registry, invoke, actions, signals, refusals, decisions, events };
}

describe('the Backstage actions of the plugin', () => {
  it('registers the contract’s actions, only run-remediation destructive', async () => {
    const { registry } = setup();
    const { actions } = await registry.list();
    const byName = Object.fromEntries(actions.map(a => [a.name, a]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        'triage',
        'dry-run-remediation',
        'run-remediation',
        'incident-summary',
      ]),
    );
    expect(byName['run-remediation'].attributes).toMatchObject({
      destructive: true,
      readOnly: false,
    });
    for (const name of ['triage', 'dry-run-remediation', 'incident-summary']) {
      expect(byName[name].attributes).toMatchObject({
        destructive: false,
        readOnly: true,
      });
    }
  });

  it('refuses triage without the read permission, through the gate, before any probe runs', async () => {
    const { invoke, signals, refusals } = setup({
      denied: ['vastai.incident.read'],
    });
    await expect(
      invoke('triage', { entityRef: 'Component:Default/vastai-integration' }),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: `Not allowed to read the Vast.ai incident data for ${OWNED} (needs vastai.incident.read)`,
    });
    expect(signals.collect).not.toHaveBeenCalled();
    expect(refusals).toMatchObject([
      {
        outcome: 'denied',
        permission: 'vastai.incident.read',
        actor: 'user:default/alice',
        entityRef: OWNED,
      },
    ]);
  });

  it('refuses a service acting on its own and a malformed entity ref', async () => {
    const { invoke, actions } = setup();
    await expect(
      invoke(
        'run-remediation',
        { entityRef: OWNED, actionId: 'queue-mode' },
        mockCredentials.service('plugin:scaffolder'),
      ),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
    await expect(
      invoke('dry-run-remediation', {
        entityRef: 'vastai-integration',
        actionId: 'queue-mode',
      }),
    ).rejects.toMatchObject({ name: 'InputError' });
    expect(actions.run).not.toHaveBeenCalled();
  });

  it('runs a remediation only after the service’s own check, with a derived idempotency key', async () => {
    const denied = setup({ denied: ['vastai.remediation.execute'] });
    await expect(
      denied.invoke('run-remediation', {
        entityRef: OWNED,
        actionId: 'queue-mode',
      }),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect(denied.actions.run).not.toHaveBeenCalled();

    const { invoke, actions } = setup();
    const first = await invoke('run-remediation', {
      entityRef: OWNED,
      actionId: 'queue-mode',
      waitSeconds: 0,
    });
    const again = await invoke('run-remediation', {
      entityRef: OWNED,
      actionId: 'queue-mode',
      waitSeconds: 0,
    });
    const key = (first.output as any).idempotencyKey;
    expect(key).toMatch(/^mcp-[0-9a-f]{24}$/);
    expect((again.output as any).idempotencyKey).toBe(key);
    expect(actions.run).toHaveBeenLastCalledWith(
      expect.objectContaining({
        entityRef: OWNED,
        actionId: 'queue-mode',
        dryRun: false,
        idempotencyKey: key,
        integration: INTEGRATION,
        credentials: alice,
      }),
    );
    expect(actions.run.mock.calls[0][0]).not.toHaveProperty('newApiKey');
  });

  it('refuses rotate-api-key unless the config allows it, and puts the refusal on record', async () => {
    const { invoke, actions, events } = setup();
    await expect(
      invoke('run-remediation', {
        entityRef: OWNED,
        actionId: 'rotate-api-key',
      }),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringContaining('vastaiIncident.mcp.allowKeyRotation'),
    });
    expect(actions.authorize).not.toHaveBeenCalled();
    expect(actions.run).not.toHaveBeenCalled();
    expect(events).toMatchObject([
      {
        eventId: 'rotate-api-key',
        meta: { entityRef: OWNED, actor: 'user:default/alice' },
        failed: expect.any(Error),
      },
    ]);

    const allowed = setup({ allowKeyRotation: true });
    await allowed.invoke('run-remediation', {
      entityRef: OWNED,
      actionId: 'rotate-api-key',
      waitSeconds: 0,
    });
    expect(allowed.actions.authorize).toHaveBeenCalledWith(
      expect.objectContaining({ actionId: 'rotate-api-key', dryRun: false }),
    );
    expect(allowed.decisions).toContain('vastai.secret.rotate');
  });

  it('passes every error through the routes’ redactor', async () => {
    const { invoke, actions } = setup();
    actions.run.mockRejectedValueOnce(
      new Error(
        `upstream said no to ${OPERATOR_KEY} (Authorization: Bearer abcdefghijklmnop)`,
      ),
    );
    const failure = await invoke('dry-run-remediation', {
      entityRef: OWNED,
      actionId: 'queue-mode',
    }).catch(e => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toContain('[REDACTED]');
    expect(failure.message).not.toContain(OPERATOR_KEY);
    expect(failure.message).not.toContain('abcdefghijklmnop');
  });
});
