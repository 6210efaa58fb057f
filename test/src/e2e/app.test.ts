/*
 * Browser end to end: the built app served by the backend, the sandbox in a known scenario,
 * Debian's Chromium clicking through it as the guest user.
 */
import { Page } from 'playwright-core';
import { eventually, getAsGuest, Stack, startStack } from '../harness/stack';
import { Browser, launchBrowser, screenshot } from './browser';

jest.setTimeout(180_000);

// vendor-outage settles on P1 (the acceptance tests pin the exact mapping per scenario).
const SCENARIO = 'vendor-outage';
const EXPECTED_SEVERITY = 'P1';
const EXPECTED_BRANCH = 'Vast.ai incident';

async function signInAsGuest(page: Page, appUrl: string) {
  await page.goto(appUrl, { waitUntil: 'domcontentloaded' });
  await page.getByRole('button', { name: 'Enter' }).click({ timeout: 60_000 });
  // Signed in: the sidebar's catalog entry is there.
  await page
    .getByRole('link', { name: /catalog/i })
    .first()
    .waitFor({ timeout: 60_000 });
}

/** Opens an entity page and waits until its tabs are there (the entity has loaded). */
async function openEntity(page: Page, appUrl: string, path: string) {
  await page.goto(`${appUrl}/catalog/default/component/${path}`, {
    waitUntil: 'domcontentloaded',
  });
  await page
    .getByText('Overview', { exact: true })
    .first()
    .waitFor({ timeout: 60_000 });
}

describe('the Vast.ai incident tab in a browser', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack({ app: true, scenario: SCENARIO });
    // A fresh backend ingests the demo catalog in the background: wait for the two entities.
    for (const name of ['vastai-integration', 'billing-api']) {
      await eventually(
        () =>
          getAsGuest(
            stack,
            `/api/catalog/entities/by-name/component/default/${name}`,
          ),
        res => res.status === 200,
        { timeoutMs: 240_000 },
      );
    }
    browser = await launchBrowser();
    await signInAsGuest(browser.page, stack.appUrl);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  afterEach(async () => {
    const state = expect.getState();
    if (browser && state.currentTestName) {
      const name = state.currentTestName
        .replace(/[^a-z0-9]+/gi, '-')
        .toLowerCase();
      await screenshot(browser.page, `e2e-${name}`).catch(() => undefined);
    }
  });

  it('shows the severity of the current scenario on the annotated entity', async () => {
    const { page } = browser;
    await openEntity(page, stack.appUrl, 'vastai-integration');
    // The overview carries our cards on an annotated entity.
    await page
      .getByText('Vast.ai status', { exact: true })
      .first()
      .waitFor({ timeout: 60_000 });
    // Wait for the cards' data, not only their frames.
    await page.getByText('Status page', { exact: true }).first().waitFor();
    await screenshot(page, 'e2e-overview-cards');

    await page
      .getByRole('tab', { name: 'Vast.ai incident' })
      .or(page.getByRole('link', { name: 'Vast.ai incident' }))
      .first()
      .click();
    await page.waitForURL(/\/vastai-incident$/);
    const badge = page.getByTestId('vastai-severity');
    await badge.waitFor({ timeout: 60_000 });

    // The backend's caches and rate windows settle within a short while: refresh until they do.
    const branch = page.getByTestId('vastai-branch');
    const read = async () => ({
      severity: (await badge.textContent()) ?? '',
      branch: (await branch.textContent()) ?? '',
    });
    const settled = (seen: { severity: string; branch: string }) =>
      seen.severity.startsWith(EXPECTED_SEVERITY) &&
      seen.branch === EXPECTED_BRANCH;
    const deadline = Date.now() + 90_000;
    let seen = await read();
    while (!settled(seen) && Date.now() < deadline) {
      await page.waitForTimeout(3_000);
      await page.getByRole('button', { name: 'Refresh' }).click();
      // The button is disabled while the refresh runs.
      await page
        .getByRole('button', { name: 'Refresh' })
        .and(page.locator(':enabled'))
        .waitFor();
      seen = await read();
    }
    expect(seen.severity).toMatch(new RegExp(`^${EXPECTED_SEVERITY}`));
    expect(seen.severity).toMatch(/respond within 15 min/);
    expect(seen.branch).toBe(EXPECTED_BRANCH);
    await expect(
      page.getByTestId('vastai-verdict').textContent(),
    ).resolves.toMatch(/\S/);
    // The signals are listed, each with its age.
    await expect(
      page.getByTestId('vastai-signal-vendor-status').textContent(),
    ).resolves.toMatch(/\d+ (s|min) ago/);
    expect(browser.problems.filter(p => /vastai-incident/.test(p))).toEqual([]);
  });

  it('has no Vast.ai incident tab on an entity without the annotation', async () => {
    const { page } = browser;
    await openEntity(page, stack.appUrl, 'billing-api');
    // The overview has rendered (the About card), yet nothing of ours is there.
    await page
      .getByText('About', { exact: true })
      .first()
      .waitFor({ timeout: 60_000 });
    expect(
      await page.getByText('Vast.ai incident', { exact: true }).count(),
    ).toBe(0);
    expect(
      await page.getByText('Vast.ai status', { exact: true }).count(),
    ).toBe(0);

    // Even typed by hand, the tab's path renders none of it.
    await openEntity(page, stack.appUrl, 'billing-api/vastai-incident');
    await page
      .getByText(/page not found/i)
      .first()
      .waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('vastai-severity').count()).toBe(0);
  });
});
