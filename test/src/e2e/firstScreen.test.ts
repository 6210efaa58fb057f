/*
 * The first screen of the Vast.ai incident tab on a 1366x768 laptop: severity, verdict and the
 * first recommended action are on screen without scrolling, in every scenario that calls for an
 * action; controls are found by role and label, as a user finds them. Then the keyboard-only
 * path to a verified remediation. The axe-core scans of every screen, in both themes, are in
 * accessibility.test.ts.
 */
import { Locator, Page } from 'playwright-core';
import { screenshot } from '../testing/browser';
import { portalInBrowser } from '../testing/portalInBrowser';
import {
  openIncidentTab,
  refreshUntil,
  waitForRunOutcome,
} from '../testing/portalPage';

jest.setTimeout(600_000);

const LAPTOP = { width: 1366, height: 768 };

/** Each scenario and the action its runbook row calls for. */
const SCENARIOS: Array<[string, RegExp]> = [
  ['rate-limited', /^Switch to queue mode/],
  ['auth-failure', /^Rotate the Vast\.ai API key/],
  ['vendor-outage', /^Enable fallback/],
];

/** The summary's recommended actions, as a person finds them: the "What now" region's buttons. */
function summaryActions(page: Page): Locator {
  return page
    .getByRole('region', { name: 'What now' })
    .getByRole('list', { name: 'Recommended remediations' })
    .getByRole('button');
}

/** Fails unless the element is drawn wholly inside the viewport with the page not scrolled. */
async function expectAboveTheFold(page: Page, what: string, element: Locator) {
  const box = await element.boundingBox();
  if (!box) throw new Error(`${what} is not drawn`);
  const scrollY = await page.evaluate(() => window.scrollY);
  const inside =
    scrollY === 0 &&
    box.x >= 0 &&
    box.y >= 0 &&
    box.x + box.width <= LAPTOP.width &&
    box.y + box.height <= LAPTOP.height;
  // The element's box in the failure message says how far below the fold it sits.
  expect({ what, box, scrollY, inside }).toEqual({
    what,
    box,
    scrollY,
    inside: true,
  });
}

/** Presses Tab until the focused element's text or label matches; fails after `max` presses. */
async function tabTo(page: Page, name: RegExp, max = 120) {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      // textContent, not innerText: buttons are drawn upper-case by CSS.
      return (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim();
    });
    if (name.test(focused)) return;
    seen.push(focused.slice(0, 40));
  }
  throw new Error(`Tab never reached ${name}; focused: ${seen.join(' > ')}`);
}

describe('the first screen of the tab at 1366x768', () => {
  const portal = portalInBrowser({
    scenario: SCENARIOS[0][0],
    components: ['vastai-integration'],
  });

  beforeAll(async () => {
    await portal.browser.page.setViewportSize(LAPTOP);
  });

  it.each(SCENARIOS)(
    'scenario %s: severity, verdict and the first action are visible without scrolling',
    async (scenario, expectedAction) => {
      const { page } = portal.browser;
      await portal.stack.setScenario(scenario);
      await openIncidentTab(page, portal.stack.appUrl, 'vastai-integration');
      const names = await refreshUntil(
        page,
        `the summary to recommend ${expectedAction}`,
        () => summaryActions(page).allTextContents(),
        texts => texts.some(text => expectedAction.test(text)),
        180_000,
      );
      expect(names.length).toBeGreaterThan(0);
      await page.evaluate(() => window.scrollTo(0, 0));

      const severity = page.getByRole('status', { name: /^Severity P[1-4]/ });
      const verdict = page.getByTestId('vastai-verdict');
      const firstAction = summaryActions(page).first();
      await expectAboveTheFold(page, 'severity', severity);
      await expectAboveTheFold(page, 'verdict', verdict);
      await expectAboveTheFold(page, 'first recommended action', firstAction);
      // The guest's team owns this service: the action may be run.
      await firstAction
        .and(page.locator(':enabled'))
        .waitFor({ timeout: 30_000 });

      // The rest of the tab is one in-page link away.
      const nav = page.getByRole('navigation', { name: 'Jump to section' });
      await expectAboveTheFold(page, 'jump links', nav);
      await nav.getByRole('link', { name: 'Incident' }).click();
      await page.waitForURL(/#vastai-section-incident$/);
      expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, `e2e-first-screen-${scenario}`);
    },
  );

  it('has the portal-wide incidents page in the sidebar', async () => {
    const { page } = portal.browser;
    await page
      .getByRole('link', { name: 'Incidents', exact: true })
      .first()
      .click();
    await page.waitForURL(/\/vastai-incidents/);
    await page
      .getByRole('heading', { name: 'Vast.ai incidents' })
      .first()
      .waitFor({ timeout: 60_000 });
  });

  it('reaches a verified queue mode from the entity page with the keyboard alone', async () => {
    const { page } = portal.browser;
    await portal.stack.setScenario('rate-limited');
    // Let the triage settle on the scenario first (the tab's refresh), then start over from the
    // entity's Overview with nothing focused.
    await openIncidentTab(page, portal.stack.appUrl, 'vastai-integration');
    await refreshUntil(
      page,
      'the summary to recommend queue mode',
      () => summaryActions(page).allTextContents(),
      texts => texts.some(text => /^Switch to queue mode/.test(text)),
      180_000,
    );
    await page.goto(
      `${portal.stack.appUrl}/catalog/default/component/vastai-integration`,
      { waitUntil: 'domcontentloaded' },
    );
    await page
      .getByRole('tab', { name: 'Vast.ai incident' })
      .or(page.getByRole('link', { name: 'Vast.ai incident', exact: true }))
      .first()
      .waitFor({ timeout: 60_000 });

    await tabTo(page, /^Vast\.ai incident$/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/vastai-incident$/);
    await summaryActions(page)
      .filter({ hasText: /^Switch to queue mode/ })
      .and(page.locator(':enabled'))
      .waitFor({ timeout: 60_000 });
    await tabTo(page, /^Switch to queue mode/);
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: 'Switch to queue mode' });
    await dialog.getByTestId('vastai-remediation-diff').waitFor({
      timeout: 30_000,
    });
    await tabTo(page, /^Confirm and apply$/, 20);
    await page.keyboard.press('Enter');
    await waitForRunOutcome(page);
    expect(
      await dialog.getByTestId('vastai-remediation-outcome').textContent(),
    ).toContain('Succeeded: applied and verified');
    await screenshot(page, 'e2e-keyboard-queue-mode');
    // Escape closes the dialog; the summary keeps the verified outcome.
    await page.keyboard.press('Escape');
    await page
      .getByRole('region', { name: 'What now' })
      .getByRole('status')
      .filter({ hasText: 'Succeeded: applied and verified' })
      .waitFor({ timeout: 10_000 });
  });
});
