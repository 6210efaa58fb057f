/*
 * Browser end to end for the incident lifecycle (issue 6): in the vendor-outage scenario the guest
 * declares an incident from the tab, sends the Slack and status-page messages (which the sandbox's
 * receivers must get), runs the recommended action, resolves the incident and downloads the
 * postmortem, whose timeline holds all of it.
 */
import fs from 'node:fs';
import { Page } from 'playwright-core';
import { eventually, getAsGuest, Stack, startStack } from '../harness/stack';
import { Browser, launchBrowser, screenshot } from './browser';

jest.setTimeout(300_000);

const ENTITY = 'vastai-integration';
const IMPACT = 'E2E: no new GPU rentals while Vast.ai is down';

async function signInAsGuest(page: Page, appUrl: string) {
  await page.goto(appUrl, { waitUntil: 'domcontentloaded' });
  await page.getByRole('button', { name: 'Enter' }).click({ timeout: 60_000 });
  await page
    .getByRole('link', { name: /catalog/i })
    .first()
    .waitFor({ timeout: 60_000 });
}

async function openTab(page: Page, appUrl: string) {
  await page.goto(
    `${appUrl}/catalog/default/component/${ENTITY}/vastai-incident`,
    {
      waitUntil: 'domcontentloaded',
    },
  );
  await page.getByTestId('vastai-severity').waitFor({ timeout: 60_000 });
}

/** Waits until the tab's triage says P1 (the scenario's caches settle within a short while). */
async function waitForSeverity(page: Page, severity: string) {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const text =
      (await page.getByTestId('vastai-severity').textContent()) ?? '';
    if (text.startsWith(severity)) return;
    if (Date.now() > deadline)
      throw new Error(`triage never said ${severity}; last: ${text}`);
    await page.waitForTimeout(3_000);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page
      .getByRole('button', { name: 'Refresh' })
      .and(page.locator(':enabled'))
      .waitFor();
  }
}

/** Sends the channel's previewed message and waits until the panel lists it as sent. */
async function send(
  page: Page,
  channel: 'slack' | 'statuspage',
  label: string,
) {
  const composer = page.getByTestId(`vastai-comms-${channel}`);
  const text = composer.getByTestId(`vastai-comms-${channel}-text`);
  await eventually(
    () => text.inputValue(),
    value => value.trim().length > 0,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  await composer.getByRole('button', { name: `Send to ${label}` }).click();
  await page
    .locator(
      `[data-testid="vastai-comms-messages"] li[data-channel="${channel}"][data-status="sent"]`,
    )
    .first()
    .waitFor({ timeout: 30_000 });
}

describe('the incident lifecycle in a browser', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack({ app: true, scenario: 'vendor-outage' });
    await eventually(
      () =>
        getAsGuest(
          stack,
          `/api/catalog/entities/by-name/component/default/${ENTITY}`,
        ),
      res => res.status === 200,
      { timeoutMs: 240_000 },
    );
    stack.sandbox.receivers.clear();
    browser = await launchBrowser();
    await signInAsGuest(browser.page, stack.appUrl);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  it('declares, communicates, runs an action, resolves and downloads the postmortem with the whole timeline', async () => {
    const { page } = browser;
    await openTab(page, stack.appUrl);
    await waitForSeverity(page, 'P1');

    // Declare: severity pre-filled from triage, the guest the commander by default.
    const panel = page.getByTestId('vastai-incident-panel');
    await panel.waitFor({ timeout: 60_000 });
    await panel.getByRole('button', { name: 'Declare incident' }).click();
    const dialog = page.getByRole('dialog', { name: 'Declare incident' });
    await expect(
      dialog.getByRole('button', { name: /Severity/ }).textContent(),
    ).resolves.toMatch(/^P1/);
    await eventually(
      () => dialog.getByLabel('Incident commander').inputValue(),
      v => v.startsWith('user:'),
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const commander = await dialog
      .getByLabel('Incident commander')
      .inputValue();
    await dialog.getByLabel(/Title/).fill('Vast.ai outage (e2e)');
    await dialog.getByLabel(/Impact/).fill(IMPACT);
    await dialog.getByRole('button', { name: 'Declare' }).click();
    const declared = page.getByText('[P1] Vast.ai outage (e2e)');
    const refused = dialog.getByRole('alert');
    await declared.or(refused).first().waitFor({ timeout: 30_000 });
    if (await refused.isVisible()) {
      await screenshot(page, 'e2e-incident-declare-refused');
      throw new Error(`declaring failed: ${await refused.textContent()}`);
    }
    await page.getByTestId('vastai-incident-clock').waitFor();
    await expect(
      page.getByTestId('vastai-incident-clock').textContent(),
    ).resolves.toMatch(/left to respond|OVERDUE/);
    await screenshot(page, 'e2e-incident-declared');

    // Communicate: the templates are filled from the incident and reach the receivers.
    await send(page, 'slack', 'Slack');
    await send(page, 'statuspage', 'Status page');
    const slack = stack.sandbox.receivers.slackMessages();
    expect(slack).toHaveLength(1);
    expect(JSON.stringify(slack[0].body)).toContain('Vast.ai outage (e2e)');
    expect(JSON.stringify(slack[0].body)).toContain('P1');
    const statuspage = stack.sandbox.receivers.statuspageRequests();
    expect(statuspage.map(r => r.method)).toEqual(['POST']);
    expect(JSON.stringify(statuspage[0].body)).toContain(
      'Vast.ai outage (e2e)',
    );
    await screenshot(page, 'e2e-incident-comms-sent');

    // Run the runbook's action through the Remediation panel: its outcome lands on the timeline.
    const fallback = page.getByTestId(
      'vastai-remediation-button-enable-fallback',
    );
    await fallback.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
    await fallback.click();
    const actionDialog = page.getByTestId('vastai-remediation-dialog');
    await actionDialog
      .getByTestId('vastai-remediation-diff')
      .waitFor({ timeout: 30_000 });
    await actionDialog.getByTestId('vastai-remediation-confirm').click();
    await page.waitForFunction(
      () =>
        ['succeeded', 'unverified', 'failed', 'rejected'].includes(
          document
            .querySelector('[data-testid="vastai-remediation-outcome"]')
            ?.getAttribute('data-status') ?? '',
        ),
      undefined,
      { timeout: 240_000, polling: 1_000 },
    );
    await actionDialog.getByRole('button', { name: 'Close' }).click();
    // The panel re-reads the incident every 10 s.
    await page
      .locator(
        '[data-testid="vastai-incident-timeline"] li[data-kind="action"]',
      )
      .first()
      .waitFor({ timeout: 30_000 });

    // Resolve.
    await page.getByRole('button', { name: 'Set status to resolved' }).click();
    await page
      .locator('[data-testid="vastai-incident-status"][data-status="resolved"]')
      .waitFor({ timeout: 30_000 });
    // The panel offers a new incident, and still shows this one for its postmortem.
    await panel.getByRole('button', { name: 'Declare incident' }).waitFor();

    // Download the postmortem: its timeline holds the declaration, both messages and the resolution.
    const downloading = page.waitForEvent('download');
    await page
      .getByRole('button', { name: 'Download postmortem (.md)' })
      .click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^postmortem-.*\.md$/);
    const file = await download.path();
    const markdown = fs.readFileSync(file!, 'utf8');
    const timeline = markdown.slice(markdown.indexOf('## Timeline'));
    expect(timeline).toMatch(/Incident declared: Vast\.ai outage \(e2e\) \(P1/);
    expect(timeline).toContain(commander);
    expect(timeline).toMatch(/Sent to Slack/);
    expect(timeline).toMatch(/Sent to status page/);
    expect(timeline).toMatch(/Action enable-fallback (succeeded|unverified)/);
    expect(timeline).toMatch(/Status: investigating -> resolved/);
    expect(markdown).toContain(IMPACT);
    await screenshot(page, 'e2e-incident-resolved');

    // The timeline on the page agrees, newest first.
    const kinds = await page
      .locator('[data-testid="vastai-incident-timeline"] li')
      .evaluateAll(items => items.map(li => li.getAttribute('data-kind')));
    expect(kinds[0]).toBe('status');
    expect(kinds[kinds.length - 1]).toBe('declared');
    expect(kinds.filter(k => k === 'message')).toHaveLength(2);
    expect(kinds).toContain('action');
    expect(
      browser.problems.filter(p => /vastai-incident\/v1\/incidents/.test(p)),
    ).toEqual([]);
  });
});
