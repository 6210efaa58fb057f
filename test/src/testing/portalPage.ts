/*
 * What the browser tests do on every page of the portal: sign in as the guest, open an entity or
 * its Vast.ai incident tab, refresh the tab until the backend's caches have settled, wait for a
 * remediation run's outcome.
 */
import { eventually } from '@internal/vastai-sandbox/testing';
import { Page } from 'playwright-core';

/** The statuses a remediation run ends in, as the dialog shows them. */
const RUN_OUTCOMES = ['succeeded', 'unverified', 'failed', 'rejected'];

/** Signs in through the sign-in page's guest "Enter" button, as a person would. */
export async function signInAsGuest(page: Page, appUrl: string) {
  await page.goto(appUrl, { waitUntil: 'domcontentloaded' });
  await page.getByRole('button', { name: 'Enter' }).click({ timeout: 60_000 });
  // Signed in: the sidebar's catalog entry is there.
  await page
    .getByRole('link', { name: /catalog/i })
    .first()
    .waitFor({ timeout: 60_000 });
}

/** Opens `/catalog/default/component/<path>` and waits until its tabs are there (the entity has loaded). */
export async function openEntity(page: Page, appUrl: string, path: string) {
  await page.goto(`${appUrl}/catalog/default/component/${path}`, {
    waitUntil: 'domcontentloaded',
  });
  await page
    .getByText('Overview', { exact: true })
    .first()
    .waitFor({ timeout: 60_000 });
}

/** Opens a component's Vast.ai incident tab and waits until `readyTestId` is drawn. */
export async function openIncidentTab(
  page: Page,
  appUrl: string,
  name: string,
  { readyTestId = 'vastai-severity', timeoutMs = 90_000 } = {},
) {
  await page.goto(
    `${appUrl}/catalog/default/component/${name}/vastai-incident`,
    { waitUntil: 'domcontentloaded' },
  );
  await page.getByTestId(readyTestId).waitFor({ timeout: timeoutMs });
}

/** Clicks the tab's Refresh and waits until the refresh has run (the button is disabled meanwhile). */
export async function refreshTab(page: Page) {
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page
    .getByRole('button', { name: 'Refresh' })
    .and(page.locator(':enabled'))
    .waitFor();
}

/**
 * Reads the tab until `accept` holds, refreshing it every 3 s in between: the backend's caches and
 * rate windows settle a while after a scenario switch. Returns the accepted reading.
 */
export async function refreshUntil<T>(
  page: Page,
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 150_000,
): Promise<T> {
  let first = true;
  return eventually(
    async () => {
      if (!first) await refreshTab(page);
      first = false;
      return read();
    },
    { what, accept, timeoutMs, intervalMs: 3_000 },
  );
}

/** Waits until the remediation dialog shows the run's final outcome. */
export async function waitForRunOutcome(page: Page) {
  await page.waitForFunction(
    outcomes =>
      outcomes.includes(
        document
          .querySelector('[data-testid="vastai-remediation-outcome"]')
          ?.getAttribute('data-status') ?? '',
      ),
    RUN_OUTCOMES,
    { timeout: 240_000, polling: 1_000 },
  );
}
