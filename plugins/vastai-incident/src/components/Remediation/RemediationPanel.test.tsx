import '@testing-library/jest-dom';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { ActionRun } from '@vastai-incident/backstage-plugin-common';
import { clientApis } from '../../testing/apis';
import { actionRun, annotatedEntity } from '../../testing/fixtures';
import { errorBody, fakeResponse } from '../../testing/responses';
import { RemediationPanel } from './RemediationPanel';

// The mock permission API's decisions, typed without importing plugin-permission-common here.
type PermissionMockOptions = NonNullable<
  Parameters<typeof mockApis.permission>[0]
>;
type Decision = ReturnType<
  Extract<PermissionMockOptions['authorize'], (...args: any[]) => any>
>;
const ALLOW = 'ALLOW' as unknown as Decision;
const DENY = 'DENY' as unknown as Decision;

// usePermission caches decisions in a module-wide SWR cache keyed by the entity ref: every test
// renders its own entity so that one test's decision never leaks into the next.
let entityName = 'vastai-integration';
let BASE = '';
beforeEach(() => {
  entityName = `vastai-integration-${
    expect.getState().currentTestName?.length
  }-${Math.random().toString(36).slice(2, 8)}`;
  BASE = `http://backend/api/vastai-incident/v1/entities/default/component/${entityName}/actions`;
});

type Route = (req: {
  url: string;
  method: string;
  body: any;
  headers: Record<string, string>;
}) => {
  status: number;
  body: unknown;
};

function runOf(partial: Partial<ActionRun>): ActionRun {
  return actionRun(partial);
}

const queueDiff = [
  {
    object: 'Deployment vastai/vastai-integration',
    path: 'spec.template.spec.containers[app].env[RATE_LIMIT_MODE]',
    before: 'direct',
    after: 'queue',
  },
];

/** A fake backend behind the fetch API; records every request. */
function fakeBackend(route: Route) {
  const calls: Array<{
    url: string;
    method: string;
    body: any;
    headers: Record<string, string>;
  }> = [];
  const fetch = jest.fn(
    async (input: RequestInfo | URL, init?: RequestInit) => {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => {
        headers[k] = v;
      });
      const req = {
        url: String(input),
        method: init?.method ?? 'GET',
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
        headers,
      };
      calls.push(req);
      if (req.url.startsWith(`${BASE}/history`)) {
        const answer = route(req);
        if (answer.status !== 404)
          return fakeResponse(answer.status, answer.body);
        return fakeResponse(200, { entityRef: 'x', entries: [] });
      }
      const answer = route(req);
      return fakeResponse(answer.status, answer.body);
    },
  );
  return { fetch, calls };
}

async function renderPanel(options: {
  route: Route;
  allow?: (name: string) => boolean;
  actions?: Array<{ id: any; reason: string }>;
}) {
  const backend = fakeBackend(options.route);
  const allow = options.allow ?? (() => true);
  await renderInTestApp(
    <EntityProvider
      entity={{
        ...annotatedEntity,
        metadata: { ...annotatedEntity.metadata, name: entityName },
      }}
    >
      <RemediationPanel
        actions={
          options.actions ?? [
            { id: 'queue-mode', reason: '429 storm: queue the calls' },
          ]
        }
        pollIntervalMs={10}
      />
    </EntityProvider>,
    {
      apis: [
        [
          permissionApiRef,
          mockApis.permission({
            authorize: req => (allow(req.permission.name) ? ALLOW : DENY),
          }),
        ],
        ...clientApis(backend.fetch),
      ],
    },
  );
  return backend;
}

const noHistory: Route = req =>
  req.url.includes('/history')
    ? { status: 200, body: { entityRef: 'x', entries: [] } }
    : { status: 404, body: {} };

describe('RemediationPanel', () => {
  it('shows the recommended action enabled and the others behind "More actions" when allowed', async () => {
    await renderPanel({ route: noHistory });
    const button = await screen.findByTestId(
      'vastai-remediation-button-queue-mode',
    );
    await waitFor(() => expect(button).toBeEnabled());
    expect(button).toHaveTextContent('Switch to queue mode');
    expect(
      screen.getByText('Why: 429 storm: queue the calls'),
    ).toBeInTheDocument();
    expect(
      screen.queryByTestId('vastai-remediation-denied-queue-mode'),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByTestId('vastai-remediation-denied-summary'),
    ).not.toBeInTheDocument();

    fireEvent.click(screen.getByTestId('vastai-remediation-more'));
    const rotate = await screen.findByTestId(
      'vastai-remediation-menu-rotate-api-key',
    );
    expect(rotate).toHaveTextContent('Rotate the Vast.ai API key');
    expect(rotate).not.toHaveAttribute('aria-disabled', 'true');
    // The recommended one is not repeated in the menu.
    expect(
      screen.queryByTestId('vastai-remediation-menu-queue-mode'),
    ).not.toBeInTheDocument();
    expect(
      await screen.findByText(/No remediation has been run/),
    ).toBeInTheDocument();
  });

  it('disables the buttons with the reason when the permission is denied, and calls nothing', async () => {
    const backend = await renderPanel({ route: noHistory, allow: () => false });
    const button = await screen.findByTestId(
      'vastai-remediation-button-queue-mode',
    );
    await waitFor(() =>
      expect(
        screen.getByTestId('vastai-remediation-denied-queue-mode'),
      ).toHaveTextContent(
        /Not allowed: you need the vastai\.remediation\.execute permission/,
      ),
    );
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute(
      'aria-describedby',
      'vastai-remediation-reason-queue-mode',
    );
    expect(
      screen.getByTestId('vastai-remediation-denied-summary'),
    ).toHaveTextContent(/You cannot run remediations on this entity/);

    fireEvent.click(screen.getByTestId('vastai-remediation-more'));
    const rotate = await screen.findByTestId(
      'vastai-remediation-menu-rotate-api-key',
    );
    expect(rotate).toHaveAttribute('aria-disabled', 'true');
    expect(rotate).toHaveTextContent(/vastai\.secret\.rotate/);
    expect(backend.calls.filter(c => c.method === 'POST')).toHaveLength(0);
  });

  it('separates the rotate permission from the execute permission', async () => {
    await renderPanel({
      route: noHistory,
      allow: name => name !== 'vastai.secret.rotate',
    });
    await waitFor(() =>
      expect(
        screen.getByTestId('vastai-remediation-button-queue-mode'),
      ).toBeEnabled(),
    );
    fireEvent.click(screen.getByTestId('vastai-remediation-more'));
    expect(
      await screen.findByTestId('vastai-remediation-menu-rotate-api-key'),
    ).toHaveAttribute('aria-disabled', 'true');
    expect(
      screen.getByTestId('vastai-remediation-menu-rollout-restart'),
    ).not.toHaveAttribute('aria-disabled', 'true');
  });

  it('dry-runs, shows the diff, applies with an Idempotency-Key and follows progress to the outcome', async () => {
    let polls = 0;
    const backend = await renderPanel({
      route: req => {
        if (req.url.includes('/history'))
          return { status: 200, body: { entityRef: 'x', entries: [] } };
        if (req.method === 'POST' && req.body.dryRun) {
          return {
            status: 200,
            body: runOf({
              dryRun: true,
              status: 'dry-run',
              phase: 'dry-run',
              diff: queueDiff,
            }),
          };
        }
        if (req.method === 'POST') {
          return {
            status: 202,
            body: runOf({
              status: 'running',
              phase: 'rolling-out',
              diff: queueDiff,
            }),
          };
        }
        polls += 1;
        return polls < 3
          ? {
              status: 200,
              body: runOf({
                status: 'running',
                phase: 'verifying',
                diff: queueDiff,
              }),
            }
          : {
              status: 200,
              body: runOf({
                status: 'succeeded',
                phase: 'done',
                diff: queueDiff,
                reason:
                  'verified: rollout complete; 429 rate back under threshold',
              }),
            };
      },
    });
    const button = await screen.findByTestId(
      'vastai-remediation-button-queue-mode',
    );
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);

    const dialog = await screen.findByTestId('vastai-remediation-dialog');
    const diff = await within(dialog).findByTestId('vastai-remediation-diff');
    expect(diff).toHaveTextContent('RATE_LIMIT_MODE');
    expect(diff).toHaveTextContent('direct');
    expect(diff).toHaveTextContent('queue');
    const dry = backend.calls.find(c => c.method === 'POST')!;
    expect(dry.url).toBe(`${BASE}/queue-mode`);
    expect(dry.body).toEqual({ dryRun: true });

    fireEvent.click(within(dialog).getByTestId('vastai-remediation-confirm'));
    const outcome = await within(dialog).findByTestId(
      'vastai-remediation-outcome',
    );
    await waitFor(() =>
      expect(outcome).toHaveAttribute('data-status', 'succeeded'),
    );
    expect(outcome).toHaveTextContent('Succeeded: applied and verified');
    expect(outcome).toHaveTextContent(/429 rate back under threshold/);
    expect(
      within(dialog).getByTestId('vastai-remediation-progress'),
    ).toHaveTextContent('Verify that the signal recovers: done');

    const apply = backend.calls.filter(
      c => c.method === 'POST' && c.body.dryRun === false,
    );
    expect(apply).toHaveLength(1);
    expect(apply[0].headers['idempotency-key']).toMatch(/^[A-Za-z0-9-]{16,}$/);
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(
      backend.calls.some(c => c.url === `${BASE}/runs/${runOf({}).runId}`),
    ).toBe(true);
  });

  it('shows the steps while the run is in progress', async () => {
    await renderPanel({
      route: req => {
        if (req.url.includes('/history'))
          return { status: 200, body: { entityRef: 'x', entries: [] } };
        if (req.method === 'POST' && req.body.dryRun) {
          return {
            status: 200,
            body: runOf({
              dryRun: true,
              status: 'dry-run',
              phase: 'dry-run',
              diff: queueDiff,
            }),
          };
        }
        return {
          status: req.method === 'POST' ? 202 : 200,
          body: runOf({ status: 'running', phase: 'verifying' }),
        };
      },
    });
    const button = await screen.findByTestId(
      'vastai-remediation-button-queue-mode',
    );
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);
    const confirm = await screen.findByTestId('vastai-remediation-confirm');
    await waitFor(() => expect(confirm).toBeEnabled());
    fireEvent.click(confirm);
    const progress = await screen.findByTestId('vastai-remediation-progress');
    await waitFor(() =>
      expect(progress).toHaveTextContent(
        'Verify that the signal recovers: in progress',
      ),
    );
    expect(progress).toHaveTextContent('Roll out the deployment: done');
    expect(screen.getByTestId('vastai-remediation-outcome')).toHaveTextContent(
      'In progress',
    );
    expect(screen.getByLabelText('Action in progress')).toBeInTheDocument();
  });

  it('needs the typed deployment name for a key rotation and never echoes the pasted key', async () => {
    const secretKey = 'pasted-secret-KEY-1234567890';
    const rotationDiff = [
      {
        object: 'Secret vastai/vastai-api-key',
        path: 'data[api-key]',
        before: '********',
        after: '********',
        secret: true,
      },
      {
        object: 'Deployment vastai/vastai-integration-svc',
        path: 'spec.template.metadata.annotations[kubectl.kubernetes.io/restartedAt]',
        before: null,
        after: '2026-11-28T23:00:00Z',
      },
    ];
    const backend = await renderPanel({
      actions: [{ id: 'rotate-api-key', reason: '401 storm' }],
      route: req => {
        if (req.url.includes('/history'))
          return { status: 200, body: { entityRef: 'x', entries: [] } };
        if (req.method === 'POST' && req.body.dryRun) {
          return {
            status: 200,
            body: runOf({
              actionId: 'rotate-api-key',
              dryRun: true,
              status: 'dry-run',
              phase: 'dry-run',
              diff: rotationDiff,
            }),
          };
        }
        return {
          status: 200,
          body: runOf({
            actionId: 'rotate-api-key',
            status: 'failed',
            phase: 'done',
            reason: 'the new key did not verify; the old key was put back',
          }),
        };
      },
    });
    const button = await screen.findByTestId(
      'vastai-remediation-button-rotate-api-key',
    );
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);
    const dialog = await screen.findByTestId('vastai-remediation-dialog');
    const diff = await within(dialog).findByTestId('vastai-remediation-diff');
    expect(diff).toHaveTextContent('secret, hidden');
    expect(diff).not.toHaveTextContent('********');

    const confirm = within(dialog).getByTestId('vastai-remediation-confirm');
    const typed = within(dialog).getByTestId('vastai-remediation-typed-name');
    expect(confirm).toBeDisabled();
    fireEvent.change(typed, { target: { value: 'vastai-integration' } });
    expect(confirm).toBeDisabled();
    expect(
      within(dialog).getByText('Does not match the deployment name yet'),
    ).toBeInTheDocument();
    fireEvent.change(typed, { target: { value: 'vastai-integration-svc' } });
    expect(confirm).toBeEnabled();

    const keyField = within(dialog).getByTestId('vastai-remediation-new-key');
    expect(keyField).toHaveAttribute('type', 'password');
    expect(keyField).toHaveAttribute('autocomplete', 'new-password');
    fireEvent.change(keyField, { target: { value: secretKey } });
    fireEvent.click(confirm);

    const outcome = await within(dialog).findByTestId(
      'vastai-remediation-outcome',
    );
    expect(outcome).toHaveAttribute('data-status', 'failed');
    expect(outcome).toHaveTextContent('Failed');
    expect(outcome).toHaveTextContent(/old key was put back/);
    const apply = backend.calls.find(
      c => c.method === 'POST' && c.body.dryRun === false,
    )!;
    expect(apply.body).toEqual({ dryRun: false, newApiKey: secretKey });
    expect(backend.calls.filter(c => c.body?.newApiKey)).toHaveLength(1);
    expect(document.body.innerHTML).not.toContain(secretKey);
  });

  it('says clearly when the action is busy (409 with the rejected run)', async () => {
    await renderPanel({
      route: req => {
        if (req.url.includes('/history'))
          return { status: 200, body: { entityRef: 'x', entries: [] } };
        if (req.body?.dryRun) {
          return {
            status: 200,
            body: runOf({
              dryRun: true,
              status: 'dry-run',
              phase: 'dry-run',
              diff: queueDiff,
            }),
          };
        }
        return {
          status: 409,
          body: runOf({
            status: 'rejected',
            phase: 'done',
            code: 'busy',
            reason: 'Another queue-mode run on this entity is in progress',
          }),
        };
      },
    });
    const button = await screen.findByTestId(
      'vastai-remediation-button-queue-mode',
    );
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);
    const confirm = await screen.findByTestId('vastai-remediation-confirm');
    await waitFor(() => expect(confirm).toBeEnabled());
    fireEvent.click(confirm);
    const outcome = await screen.findByTestId('vastai-remediation-outcome');
    expect(outcome).toHaveAttribute('data-status', 'rejected');
    expect(outcome).toHaveTextContent(
      /another run of this action is in progress on this entity \(409\)/,
    );
    expect(outcome).toHaveTextContent(/Another queue-mode run/);
  });

  it('says clearly when the server refuses (403), even though the button was enabled', async () => {
    await renderPanel({
      route: req => {
        if (req.url.includes('/history'))
          return { status: 200, body: { entityRef: 'x', entries: [] } };
        return {
          status: 403,
          body: errorBody(
            403,
            'Not allowed to run queue-mode on component:default/vastai-integration',
          ),
        };
      },
    });
    const button = await screen.findByTestId(
      'vastai-remediation-button-queue-mode',
    );
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);
    const error = await screen.findByTestId('vastai-remediation-plan-error');
    expect(error).toHaveTextContent('Not allowed (403)');
    expect(error).toHaveTextContent(/Not allowed to run queue-mode/);
    expect(screen.getByTestId('vastai-remediation-confirm')).toBeDisabled();
  });

  it('keeps the same Idempotency-Key when a 5xx apply is tried again', async () => {
    let applies = 0;
    const backend = await renderPanel({
      route: req => {
        if (req.url.includes('/history'))
          return { status: 200, body: { entityRef: 'x', entries: [] } };
        if (req.body?.dryRun) {
          return {
            status: 200,
            body: runOf({
              dryRun: true,
              status: 'dry-run',
              phase: 'dry-run',
              diff: queueDiff,
            }),
          };
        }
        applies += 1;
        if (applies === 1)
          return {
            status: 503,
            body: errorBody(503, 'database unavailable'),
          };
        return {
          status: 200,
          body: runOf({
            status: 'unverified',
            phase: 'done',
            reason: 'the 429 rate did not fall within 60 s',
          }),
        };
      },
    });
    const button = await screen.findByTestId(
      'vastai-remediation-button-queue-mode',
    );
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);
    const confirm = await screen.findByTestId('vastai-remediation-confirm');
    await waitFor(() => expect(confirm).toBeEnabled());
    fireEvent.click(confirm);
    const error = await screen.findByTestId('vastai-remediation-apply-error');
    expect(error).toHaveTextContent('The backend failed (503)');
    expect(error).toHaveTextContent(/same Idempotency-Key/);
    await waitFor(() => expect(confirm).toHaveTextContent('Try again'));
    fireEvent.click(confirm);
    const outcome = await screen.findByTestId('vastai-remediation-outcome');
    expect(outcome).toHaveTextContent('Applied, but NOT verified');
    const keys = backend.calls
      .filter(c => c.method === 'POST' && c.body.dryRun === false)
      .map(c => c.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('lists the history: who, action, result, reason', async () => {
    await renderPanel({
      route: req =>
        req.url.includes('/history')
          ? {
              status: 200,
              body: {
                entityRef: 'component:default/vastai-integration',
                entries: [
                  {
                    id: 2,
                    actor: 'user:default/alice',
                    entityRef: 'component:default/vastai-integration',
                    actionId: 'enable-fallback',
                    dryRun: false,
                    outcome: 'succeeded',
                    reason: 'verified: service degraded but up',
                    startedAt: '2026-11-28T22:00:00Z',
                    finishedAt: '2026-11-28T22:01:00Z',
                    durationMs: 60000,
                  },
                  {
                    id: 1,
                    actor: 'user:default/bob',
                    entityRef: 'component:default/vastai-integration',
                    actionId: 'rotate-api-key',
                    dryRun: false,
                    outcome: 'denied',
                    reason: 'needs vastai.secret.rotate',
                    startedAt: '2026-11-28T21:00:00Z',
                    finishedAt: '2026-11-28T21:00:00Z',
                    durationMs: 3,
                  },
                ],
              },
            }
          : { status: 404, body: {} },
    });
    const table = await screen.findByTestId('vastai-remediation-history');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('user:default/alice');
    expect(rows[1]).toHaveTextContent('Enable fallback');
    expect(rows[1]).toHaveTextContent('Succeeded');
    expect(rows[1]).toHaveTextContent('verified: service degraded but up');
    expect(rows[2]).toHaveTextContent('Denied (no permission)');
    expect(rows[2]).toHaveTextContent('Rotate the Vast.ai API key');
  });
});
