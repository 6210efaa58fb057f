/*
 * Browser end to end: the built app served by the backend, the sandbox switched through the
 * runbook's scenarios, Debian's Chromium clicking through it as the guest user. ONE stack for the
 * whole file: starting it costs about a minute, switching scenarios a few seconds.
 */
import { Page } from 'playwright-core';
import { screenshot } from '../testing/browser';
import { portalInBrowser } from '../testing/portalInBrowser';
import {
  openEntity,
  openIncidentTab,
  refreshUntil,
} from '../testing/portalPage';

jest.setTimeout(240_000);

interface Expected {
  /** What the badge starts with. */
  severity: string;
  /** The badge's response-time target, when there is an incident. */
  target?: RegExp;
  /** The lit leaf of the decision tree (= the report's branch). */
  branch: string;
  branchLabel: string;
  /** The questions on the lit path, root first. */
  questions: string[];
  /** A recommended action that must be listed, by its button text. */
  action?: string;
}

// Ordered so that each scenario follows one whose errors do not linger in its rate window
// (the same order as the acceptance tests, which pin the backend's mapping).
const SCENARIOS: Array<[string, Expected]> = [
  [
    'healthy',
    {
      severity: 'No incident',
      branch: 'healthy',
      branchLabel: 'Healthy',
      questions: ['vendor-api-errors', 'service-healthy'],
    },
  ],
  [
    'vendor-outage',
    {
      severity: 'P1',
      target: /respond within 15 min/,
      branch: 'vendor-incident',
      branchLabel: 'Vast.ai incident',
      questions: ['vendor-api-errors', 'vendor-status-incident'],
      action: 'Enable fallback',
    },
  ],
  [
    'auth-failure',
    {
      severity: 'P1',
      target: /respond within 15 min/,
      branch: 'our-integration',
      branchLabel: 'Our integration',
      questions: ['vendor-api-errors', 'vendor-status-incident'],
      action: 'Rotate the Vast.ai API key',
    },
  ],
  [
    'rate-limited',
    {
      severity: 'P2',
      target: /respond within 1 h/,
      branch: 'our-integration',
      branchLabel: 'Our integration',
      questions: ['vendor-api-errors', 'vendor-status-incident'],
      action: 'Switch to queue mode',
    },
  ],
  [
    'pods-crashing',
    {
      severity: 'P1',
      target: /respond within 15 min/,
      branch: 'our-infrastructure',
      branchLabel: 'Our infrastructure',
      questions: ['vendor-api-errors', 'service-healthy'],
      action: 'Restart the deployment',
    },
  ],
];

const ALL_QUESTIONS = [
  'vendor-api-errors',
  'vendor-status-incident',
  'service-healthy',
];
const ALL_LEAVES = [
  'vendor-incident',
  'our-integration',
  'resolved-or-intermittent',
  'healthy',
  'our-infrastructure',
];

/** What the tab shows now: badge, branch and the tree's lit nodes, read from the DOM. */
async function readTab(page: Page) {
  return page.evaluate(
    ({ questions, leaves }) => {
      const byId = (id: string) =>
        document.querySelector(`[data-testid="${id}"]`);
      return {
        severity: byId('vastai-severity')?.textContent ?? '',
        branch: byId('vastai-branch')?.textContent ?? '',
        litLeaves: leaves.filter(
          l =>
            byId(`vastai-tree-leaf-${l}`)?.getAttribute('aria-current') ===
            'step',
        ),
        litQuestions: questions.filter(
          q =>
            byId(`vastai-tree-node-${q}`)?.getAttribute('data-on-path') ===
            'true',
        ),
        treeBranch:
          byId('vastai-decision-tree')?.getAttribute('data-branch') ?? '',
      };
    },
    { questions: ALL_QUESTIONS, leaves: ALL_LEAVES },
  );
}

describe('the Vast.ai incident tab in a browser', () => {
  const portal = portalInBrowser({
    scenario: SCENARIOS[0][0],
    components: ['vastai-integration', 'billing-api'],
  });

  it('puts the health cards on the overview of the annotated entity', async () => {
    const { page } = portal.browser;
    await openEntity(page, portal.stack.appUrl, 'vastai-integration');
    for (const title of [
      'Vast.ai status',
      'Integration health',
      'Error rate',
      'Pods',
    ]) {
      await page
        .getByText(title, { exact: true })
        .first()
        .waitFor({ timeout: 60_000 });
    }
    // Wait for the cards' data, not only their frames.
    await page.getByText('Status page', { exact: true }).first().waitFor();
    await page
      .getByText(/of \d+ ready/)
      .first()
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'e2e-overview-cards');

    await page
      .getByRole('tab', { name: 'Vast.ai incident', exact: true })
      .or(page.getByRole('link', { name: 'Vast.ai incident', exact: true }))
      .first()
      .click();
    await page.waitForURL(/\/vastai-incident$/);
    await page.getByTestId('vastai-severity').waitFor({ timeout: 60_000 });
  });

  it.each(SCENARIOS)(
    'scenario %s: the tab shows the severity and lights the branch',
    async (scenario, expected) => {
      const { page } = portal.browser;
      await portal.stack.setScenario(scenario);
      await openIncidentTab(page, portal.stack.appUrl, 'vastai-integration');
      const seen = await refreshUntil(
        page,
        `the tab to show ${expected.severity} on ${expected.branch}`,
        () => readTab(page),
        tab =>
          tab.severity.startsWith(expected.severity) &&
          tab.branch === expected.branchLabel &&
          tab.litLeaves.join() === expected.branch,
      );

      expect(seen.severity).toMatch(new RegExp(`^${expected.severity}`));
      if (expected.target) expect(seen.severity).toMatch(expected.target);
      expect(seen.branch).toBe(expected.branchLabel);
      // Exactly one lit leaf, the branch; the path's questions lit, the other one not.
      expect(seen.litLeaves).toEqual([expected.branch]);
      expect(seen.treeBranch).toBe(expected.branch);
      expect(seen.litQuestions).toEqual(expected.questions);
      // All of the runbook's tree is drawn, and the reached outcome says so in words.
      for (const q of ALL_QUESTIONS) {
        await expect(
          page.getByTestId(`vastai-tree-node-${q}`).isVisible(),
        ).resolves.toBe(true);
      }
      for (const l of ALL_LEAVES) {
        await expect(
          page.getByTestId(`vastai-tree-leaf-${l}`).isVisible(),
        ).resolves.toBe(true);
      }
      await expect(
        page.getByTestId(`vastai-tree-leaf-${expected.branch}`).textContent(),
      ).resolves.toContain('Triage ended here');
      // Each decision on the path carries its evidence.
      for (const q of expected.questions) {
        await expect(
          page.getByTestId(`vastai-tree-node-${q}`).textContent(),
        ).resolves.toMatch(/Evidence: \S/);
      }

      await expect(
        page.getByTestId('vastai-verdict').textContent(),
      ).resolves.toMatch(/\S/);
      // The signals are listed, each with its age.
      await expect(
        page.getByTestId('vastai-signal-vendor-status').textContent(),
      ).resolves.toMatch(/\d+ (s|min) ago|just now/);
      // Charts (a drawn line or an explicit "no data"), pods and logs have loaded.
      for (const id of [
        'vastai-chart-error-ratio',
        'vastai-chart-p99-latency',
        'vastai-pods',
        'vastai-logs',
      ]) {
        await page.getByTestId(id).waitFor({ timeout: 60_000 });
      }
      // The recommended remediation is offered, live: the guest owns this entity.
      if (expected.action) {
        const button = page
          .getByTestId('vastai-remediation')
          .getByRole('button', { name: new RegExp(`^${expected.action}`) });
        await button.waitFor({ timeout: 30_000 });
        await expect(button.isEnabled()).resolves.toBe(true);
      } else {
        // Said at the top of the tab and in the remediation panel: check the panel's.
        await page
          .getByTestId('vastai-remediation')
          .getByText('The runbook recommends no remediation right now.')
          .waitFor();
      }
      await expect(
        page.getByText(/^Updated (\d+ s ago|just now)/).count(),
      ).resolves.toBe(1);

      await screenshot(page, `e2e-tab-${scenario}`);
      expect(
        portal.browser.problems.filter(p => /vastai-incident/.test(p)),
      ).toEqual([]);
    },
    240_000,
  );

  it('switches the chart range and the log window', async () => {
    const { page } = portal.browser;
    await openIncidentTab(page, portal.stack.appUrl, 'vastai-integration');
    await page
      .getByTestId('vastai-chart-error-ratio')
      .waitFor({ timeout: 60_000 });
    const metricsRequest = page.waitForRequest(r =>
      /\/metrics\/error-ratio\?range=24h$/.test(r.url()),
    );
    await page.getByRole('button', { name: '24h' }).click();
    await metricsRequest;
    await expect(
      page.getByRole('button', { name: '24h' }).getAttribute('aria-pressed'),
    ).resolves.toBe('true');
    const logsRequest = page.waitForRequest(r =>
      /\/logs\?sinceMinutes=60$/.test(r.url()),
    );
    await page.getByRole('button', { name: '60 min' }).click();
    await logsRequest;
    await page.getByTestId('vastai-logs').waitFor();
    await screenshot(page, 'e2e-tab-24h-60min');
  });

  it('has no Vast.ai incident tab on an entity without the annotation', async () => {
    const { page } = portal.browser;
    await openEntity(page, portal.stack.appUrl, 'billing-api');
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
    await screenshot(page, 'e2e-no-annotation-overview');

    // Even typed by hand, the tab's path renders none of it.
    await openEntity(page, portal.stack.appUrl, 'billing-api/vastai-incident');
    await page
      .getByText(/page not found/i)
      .first()
      .waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('vastai-severity').count()).toBe(0);
  });
});
