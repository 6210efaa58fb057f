import '@testing-library/jest-dom';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import type { ActionRun } from '@vastai-incident/backstage-plugin-common';
import { RemediationApi, remediationApiRef } from '../../api/RemediationApi';
import { RemediationDialog } from './RemediationDialog';

const rotationPlan: ActionRun = {
  runId: '11111111-2222-4333-8444-555555555555',
  entityRef: 'component:default/vastai-integration',
  integration: 'vastai-integration',
  actionId: 'rotate-api-key',
  dryRun: true,
  actor: 'user:development/guest',
  status: 'dry-run',
  phase: 'done',
  diff: [
    {
      object: 'Deployment vastai/vastai-integration',
      path: 'spec.template.metadata.annotations[restartedAt]',
      before: '(none)',
      after: '(now)',
    },
  ],
  startedAt: new Date().toISOString(),
};

describe('RemediationDialog', () => {
  it('ties every input to its label and names every button', async () => {
    const api = { dryRun: jest.fn(async () => rotationPlan) };
    await renderInTestApp(
      <RemediationDialog
        entity={{
          kind: 'Component',
          namespace: 'default',
          name: 'vastai-integration',
        }}
        actionId="rotate-api-key"
        open
        onClose={() => {}}
        pollIntervalMs={10}
      />,
      { apis: [[remediationApiRef, api as Partial<RemediationApi>]] },
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Rotate the Vast.ai API key',
    });
    const typed = await screen.findByLabelText(/Type the deployment name/);
    expect(typed.tagName).toBe('INPUT');
    expect(dialog).toContainElement(typed);
    const key = screen.getByLabelText(/New API key/);
    expect(key).toHaveAttribute('type', 'password');

    const confirm = screen.getByRole('button', { name: 'Confirm and apply' });
    expect(confirm).toBeDisabled();
    fireEvent.change(typed, { target: { value: 'vastai-integration' } });
    await waitFor(() => expect(confirm).toBeEnabled());
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeEnabled();
  });
});
