/*
 * axe-core on every screen an on-call engineer uses, in the light and the dark theme (switched on
 * the Settings page, as a user does): the Vast.ai incident tab in three scenarios, the remediation
 * dialog of an env action and of the key rotation, the incident panel with an open incident and
 * the portal-wide incidents page. Each must have no serious or critical WCAG 2.x A/AA violation;
 * a failure lists each violation (rule id, impact, elements). The tab's screenshots in both
 * themes go to the screenshots folder (VASTAI_SCREENSHOTS_DIR, printed by `npm test`).
 */
import { Locator, Page } from 'playwright-core';
import {
  axeViolations,
  AxeViolation,
  describeViolations,
} from '../testing/axe';
import { portalInBrowser } from '../testing/portalInBrowser';
import { openIncidentTab, refreshUntil } from '../testing/portalPage';
import { saveScreenshot, screenshotsDir } from '../testing/screenshots';
import { expectTheme, switchTheme, ThemeId } from '../testing/theme';

jest.setTimeout(600_000);

const ENTITY = 'vastai-integration';
const THEMES: ThemeId[] = ['light', 'dark'];

/** Each scenario of the tab and what the summary shows once triage has settled on it. */
const TAB_SCENARIOS: Array<[string, (page: Page) => Locator]> = [
  [
    'healthy',
    page => page.getByRole('status', { name: 'Severity: no incident' }),
  ],
  [
    'vendor-outage',
    page => summaryActions(page).filter({ hasText: /^Enable fallback/ }),
  ],
  [
    'rate-limited',
    page => summaryActions(page).filter({ hasText: /^Switch to queue mode/ }),
  ],
];

/** Every scan's count, printed at the end as a table (page x theme). */
const results: string[] = [];

function summaryActions(page: Page): Locator {
  return page
    .getByRole('region', { name: 'What now' })
    .getByRole('list', { name: 'Recommended remediations' })
    .getByRole('button');
}

/** Scans the page in `theme` and fails listing each serious or critical violation. */
async function expectNoSeriousViolations(
  page: Page,
  theme: ThemeId,
  where: string,
) {
  await expectTheme(page, theme);
  const violations: AxeViolation[] = await axeViolations(page);
  results.push(
    `${`${where} (${theme})`.padEnd(56)} ${violations.length} serious/critical${
      violations.length ? `: ${violations.map(v => v.id).join(', ')}` : ''
    }`,
  );
  expect(describeViolations(`${where} (${theme})`, violations)).toEqual([]);
}

/** Opens the tab and refreshes it until triage has settled on the scenario. */
async function openSettledTab(
  page: Page,
  appUrl: string,
  scenario: string,
  settled: (page: Page) => Locator,
) {
  await openIncidentTab(page, appUrl, ENTITY);
  await refreshUntil(
    page,
    `the tab to show the ${scenario} triage`,
    () => settled(page).count(),
    count => count > 0,
    180_000,
  );
  // The sections below the summary have loaded (a line, a table or an explicit "none").
  for (const id of [
    'vastai-chart-error-ratio',
    'vastai-pods',
    'vastai-logs',
    'vastai-remediation',
    'vastai-incident-panel',
  ]) {
    await page.getByTestId(id).waitFor({ timeout: 60_000 });
  }
}

/** Waits until the dialog has faded in: axe measures contrast on what is drawn. */
async function settledDialog(page: Page, name: string): Promise<Locator> {
  const dialog = page.getByRole('dialog', { name });
  await dialog.waitFor({ timeout: 30_000 });
  await page.waitForFunction(
    () =>
      Array.from(document.querySelectorAll('[role="dialog"]')).every(
        d =>
          getComputedStyle(d.closest('.MuiDialog-container') ?? d).opacity ===
          '1',
      ),
    undefined,
    { timeout: 10_000 },
  );
  return dialog;
}

async function closeDialog(dialog: Locator) {
  await dialog.getByRole('button', { name: /^(Cancel|Close)$/ }).click();
  await dialog.waitFor({ state: 'detached', timeout: 10_000 });
}

describe('accessibility of the Vast.ai incident screens (axe-core)', () => {
  const portal = portalInBrowser({
    scenario: TAB_SCENARIOS[0][0],
    components: [ENTITY],
  });

  afterAll(() => {
    process.stdout.write(
      `axe-core serious/critical violations per screen:\n${results.join(
        '\n',
      )}\nScreenshots: ${screenshotsDir()}\n`,
    );
  });

  /** The theme the portal shows now: switched on the Settings page only when a test needs another. */
  let shownTheme: ThemeId | undefined;
  async function useTheme(theme: ThemeId) {
    const { page } = portal.browser;
    await page.setViewportSize({ width: 1366, height: 900 });
    if (shownTheme !== theme) {
      shownTheme = undefined;
      await switchTheme(page, portal.stack.appUrl, theme);
      shownTheme = theme;
    }
  }

  // Both themes per scenario: a scenario's errors stay in the hour's metrics, so the world only
  // moves forward (healthy, then outages), never back to healthy.
  describe.each(TAB_SCENARIOS)(
    'the tab in scenario %s',
    (scenario, settled) => {
      beforeAll(async () => {
        await portal.stack.setScenario(scenario);
      });

      it.each(THEMES)(
        'has no serious or critical violation in the %s theme',
        async theme => {
          const { page } = portal.browser;
          await useTheme(theme);
          await openSettledTab(page, portal.stack.appUrl, scenario, settled);
          await page.evaluate(() => window.scrollTo(0, 0));
          await saveScreenshot(page, `tab-${scenario}-${theme}`);
          await expectNoSeriousViolations(page, theme, `tab ${scenario}`);
        },
      );
    },
  );

  describe.each(THEMES)('in the %s theme', theme => {
    beforeAll(async () => {
      await useTheme(theme);
    }, 120_000);

    it('the remediation dialog of an env action (queue mode) has no serious or critical violation', async () => {
      const { page } = portal.browser;
      // Queue mode is what the runbook recommends when rate limited.
      await portal.stack.setScenario('rate-limited');
      await openSettledTab(
        page,
        portal.stack.appUrl,
        'rate-limited',
        TAB_SCENARIOS[2][1],
      );
      await summaryActions(page)
        .filter({ hasText: /^Switch to queue mode/ })
        .and(page.locator(':enabled'))
        .first()
        .click({ timeout: 60_000 });
      const dialog = await settledDialog(page, 'Switch to queue mode');
      await dialog
        .getByTestId('vastai-remediation-diff')
        .waitFor({ timeout: 60_000 });
      await expectNoSeriousViolations(
        page,
        theme,
        'remediation dialog: queue mode (dry run)',
      );
      await closeDialog(dialog);
    });

    it('the key rotation dialog has no serious or critical violation', async () => {
      const { page } = portal.browser;
      // The remediation panel's menu (the entity page's header has its own "More actions").
      await page
        .getByTestId('vastai-remediation')
        .getByRole('button', { name: 'More actions' })
        .click();
      await page
        .getByRole('menuitem', { name: /^Rotate the Vast\.ai API key/ })
        .click();
      const dialog = await settledDialog(page, 'Rotate the Vast.ai API key');
      // The rotation's confirmation fields appear once the dry run is usable.
      await dialog
        .getByLabel(/^Type the deployment name/)
        .or(dialog.getByTestId('vastai-remediation-plan-error'))
        .first()
        .waitFor({ timeout: 60_000 });
      await expectNoSeriousViolations(
        page,
        theme,
        'remediation dialog: key rotation (dry run)',
      );
      await closeDialog(dialog);
    });

    it('the incident panel with an open incident has no serious or critical violation', async () => {
      const { page } = portal.browser;
      const panel = page.getByTestId('vastai-incident-panel');
      await panel.scrollIntoViewIfNeeded();
      const declare = panel.getByRole('button', { name: 'Declare incident' });
      const open = panel.getByTestId('vastai-incident-clock');
      await declare.or(open).first().waitFor({ timeout: 60_000 });
      if (await declare.isVisible()) {
        // The first theme declares one (and scans the declare dialog); the second finds it open.
        await declare.click();
        const dialog = await settledDialog(page, 'Declare incident');
        await dialog.getByLabel(/Title/).fill('Rate limited by Vast.ai (a11y)');
        await dialog.getByLabel(/Impact/).fill('Jobs queue up');
        await expectNoSeriousViolations(page, theme, 'declare incident dialog');
        await dialog.getByRole('button', { name: 'Declare' }).click();
      }
      await open.waitFor({ timeout: 30_000 });
      // The summary links to it too.
      await page
        .getByRole('navigation', { name: 'Runbook links' })
        .getByRole('link', { name: /^Open incident/ })
        .waitFor({ timeout: 60_000 });
      await saveScreenshot(page, `tab-open-incident-${theme}`);
      await expectNoSeriousViolations(page, theme, 'incident panel (open)');
    });

    it('the portal-wide incidents page has no serious or critical violation', async () => {
      const { page } = portal.browser;
      await page.goto(`${portal.stack.appUrl}/vastai-incidents`, {
        waitUntil: 'domcontentloaded',
      });
      await page
        .getByRole('heading', { name: 'Vast.ai incidents' })
        .first()
        .waitFor({ timeout: 60_000 });
      // The open incident is listed (the page has loaded its data).
      await page
        .getByText('Rate limited by Vast.ai (a11y)')
        .first()
        .waitFor({ timeout: 60_000 });
      await expectNoSeriousViolations(page, theme, 'incidents page');
    });
  });
});
