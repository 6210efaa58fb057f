/*
 * Browser end to end of the remediations: the built app served by the backend, the sandbox in
 * `rate-limited`, Debian's Chromium as the guest user. The guest's team owns vastai-integration
 * (the demo policy lets it act there) and not vastai-batch-worker (buttons disabled, with why).
 */
import { Page } from 'playwright-core';
import { screenshot } from '../testing/browser';
import { portalInBrowser } from '../testing/portalInBrowser';
import {
  openIncidentTab,
  refreshUntil,
  waitForRunOutcome,
} from '../testing/portalPage';

jest.setTimeout(420_000);

/** Opens the entity's tab and waits for its Remediation panel. */
function openRemediationPanel(page: Page, appUrl: string, name: string) {
  return openIncidentTab(page, appUrl, name, {
    readyTestId: 'vastai-remediation',
  });
}

/** Refreshes the tab until the triage recommends `actionId` (caches and rate windows settle). */
async function waitForRecommended(page: Page, actionId: string) {
  const button = page.getByTestId(`vastai-remediation-button-${actionId}`);
  await refreshUntil(
    page,
    `the triage to recommend ${actionId}`,
    () => button.count(),
    count => count > 0,
    180_000,
  );
  return button;
}

describe('remediations in a browser', () => {
  const portal = portalInBrowser({
    scenario: 'rate-limited',
    components: ['vastai-integration', 'vastai-batch-worker'],
  });

  it('lets the guest run queue-mode on its own service: dry run, confirm, progress, outcome', async () => {
    const { page } = portal.browser;
    await openRemediationPanel(page, portal.stack.appUrl, 'vastai-integration');
    const button = await waitForRecommended(page, 'queue-mode');
    // Live: enabled once the permission decision arrived, and no "not allowed" reason.
    await button.and(page.locator(':enabled')).waitFor({ timeout: 30_000 });
    expect(
      await page.getByTestId('vastai-remediation-denied-queue-mode').count(),
    ).toBe(0);
    await screenshot(page, 'e2e-remediation-integration');

    // Keyboard: focus the button and press Enter.
    await button.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('vastai-remediation-dialog');
    const diff = dialog.getByTestId('vastai-remediation-diff');
    await diff.waitFor({ timeout: 30_000 });
    const diffText = await diff.textContent();
    expect(diffText).toContain('RATE_LIMIT_MODE');
    expect(diffText).toContain('queue');
    await screenshot(page, 'e2e-remediation-dry-run');

    await dialog.getByTestId('vastai-remediation-confirm').click();
    const progress = dialog.getByTestId('vastai-remediation-progress');
    await progress.waitFor({ timeout: 30_000 });
    expect(await progress.textContent()).toContain('Apply the change');
    await screenshot(page, 'e2e-remediation-progress');

    const outcome = dialog.getByTestId('vastai-remediation-outcome');
    await waitForRunOutcome(page);
    const status = await outcome.getAttribute('data-status');
    const outcomeText = (await outcome.textContent()) ?? '';
    await screenshot(page, 'e2e-remediation-outcome');
    // Queue mode really ends the 429 storm in the sandbox; "unverified" would still be a
    // truthful answer if the rate window lagged the deadline, "failed"/"rejected" would not.
    expect({ status, outcomeText }).toEqual({
      status: expect.stringMatching(/^(succeeded|unverified)$/),
      outcomeText: expect.stringMatching(
        /Succeeded: applied and verified|Applied, but NOT verified/,
      ),
    });
    expect(outcomeText).toMatch(/Reason: \S/);

    // The sandbox's deployment really runs in queue mode now.
    const writes = portal.stack.sandbox.kube
      .writes()
      .filter(
        w =>
          !w.dryRun &&
          w.resource === 'deployments' &&
          w.name === 'vastai-integration',
      );
    expect(writes.length).toBeGreaterThanOrEqual(1);

    // Escape closes the dialog; the history lists the run, as the guest's.
    await page.keyboard.press('Escape');
    const history = page.getByTestId('vastai-remediation-history');
    await history.waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () =>
        Array.from(
          document.querySelectorAll(
            '[data-testid="vastai-remediation-history"] tbody tr',
          ),
        ).some(
          row =>
            /user:default\/guest/.test(row.textContent ?? '') &&
            /Switch to queue mode/.test(row.textContent ?? '') &&
            /Succeeded|Not verified/.test(row.textContent ?? ''),
        ),
      undefined,
      { timeout: 30_000 },
    );
    await screenshot(page, 'e2e-remediation-history');
    expect(
      portal.browser.problems.filter(p =>
        /vastai-incident\/v1\/.*actions/.test(p),
      ),
    ).toEqual([]);
  });

  it('shows every action disabled with the reason on a service the guest does not own', async () => {
    const { page } = portal.browser;
    await openRemediationPanel(
      page,
      portal.stack.appUrl,
      'vastai-batch-worker',
    );
    // Once the permission decisions arrived, the panel says at a glance that nothing may run.
    await page
      .getByTestId('vastai-remediation-denied-summary')
      .waitFor({ timeout: 60_000 });
    await expect(
      page.getByTestId('vastai-remediation-denied-summary').textContent(),
    ).resolves.toMatch(
      /You cannot run remediations on this entity\. Not allowed: you need the vastai\.\S+ permission/,
    );
    const buttons = page.locator('[data-testid^="vastai-remediation-button-"]');
    for (let i = 0; i < (await buttons.count()); i++) {
      await expect(buttons.nth(i).isDisabled()).resolves.toBe(true);
      const id = (await buttons.nth(i).getAttribute('data-testid'))!.replace(
        'vastai-remediation-button-',
        '',
      );
      await expect(
        page.getByTestId(`vastai-remediation-denied-${id}`).textContent(),
      ).resolves.toMatch(
        /Not allowed: you need the vastai\.(remediation\.execute|secret\.rotate) permission/,
      );
    }
    await page.getByTestId('vastai-remediation-more').click();
    const items = page.locator('[data-testid^="vastai-remediation-menu-"]');
    await items.first().waitFor();
    const count = await items.count();
    expect(count).toBeGreaterThanOrEqual(6 - (await buttons.count()));
    for (let i = 0; i < count; i++) {
      await expect(items.nth(i).getAttribute('aria-disabled')).resolves.toBe(
        'true',
      );
      await expect(items.nth(i).textContent()).resolves.toMatch(/Not allowed/);
    }
    await screenshot(page, 'e2e-remediation-batch-worker-denied');
    await page.keyboard.press('Escape');
    // Nothing was attempted against the batch worker.
    const writes = portal.stack.sandbox.kube
      .writes()
      .filter(w => w.name === 'vastai-batch-worker');
    expect(writes).toEqual([]);
  });
});
