/*
 * Browser end to end for the incident lifecycle: in the vendor-outage scenario the guest
 * declares an incident from the tab, sends the Slack and status-page messages (which the sandbox's
 * receivers must get), runs the recommended action, resolves the incident and downloads the
 * postmortem, whose timeline holds all of it.
 */
import fs from 'node:fs';
import { eventually } from '@internal/vastai-sandbox/testing';
import { Page } from 'playwright-core';
import { screenshot } from '../testing/browser';
import { portalInBrowser } from '../testing/portalInBrowser';
import {
  openIncidentTab,
  refreshUntil,
  waitForRunOutcome,
} from '../testing/portalPage';

jest.setTimeout(300_000);

const ENTITY = 'vastai-integration';
const IMPACT = 'E2E: no new GPU rentals while Vast.ai is down';

/** Sends the channel's previewed message and waits until the panel lists it as sent. */
async function send(
  page: Page,
  channel: 'slack' | 'statuspage',
  label: string,
) {
  const composer = page.getByTestId(`vastai-comms-${channel}`);
  const text = composer.getByTestId(`vastai-comms-${channel}-text`);
  await eventually(() => text.inputValue(), {
    what: `the ${label} message preview`,
    accept: value => value.trim().length > 0,
    timeoutMs: 30_000,
    intervalMs: 250,
  });
  await composer.getByRole('button', { name: `Send to ${label}` }).click();
  await page
    .locator(
      `[data-testid="vastai-comms-messages"] li[data-channel="${channel}"][data-status="sent"]`,
    )
    .first()
    .waitFor({ timeout: 30_000 });
}

describe('the incident lifecycle in a browser', () => {
  const portal = portalInBrowser({
    scenario: 'vendor-outage',
    components: [ENTITY],
  });

  it('declares, communicates, runs an action, resolves and downloads the postmortem with the whole timeline', async () => {
    const { page } = portal.browser;
    portal.stack.sandbox.receivers.clear();
    await openIncidentTab(page, portal.stack.appUrl, ENTITY);
    await refreshUntil(
      page,
      'the triage to say P1',
      async () =>
        (await page.getByTestId('vastai-severity').textContent()) ?? '',
      severity => severity.startsWith('P1'),
    );

    // Declare: severity pre-filled from triage, the guest the commander by default.
    const panel = page.getByTestId('vastai-incident-panel');
    await panel.waitFor({ timeout: 60_000 });
    await panel.getByRole('button', { name: 'Declare incident' }).click();
    const dialog = page.getByRole('dialog', { name: 'Declare incident' });
    await expect(
      dialog.getByRole('button', { name: /Severity/ }).textContent(),
    ).resolves.toMatch(/^P1/);
    const commander = await eventually(
      () => dialog.getByLabel('Incident commander').inputValue(),
      {
        what: 'the commander to default to the guest',
        accept: v => v.startsWith('user:'),
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );
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
    const slack = portal.stack.sandbox.receivers.slackMessages();
    expect(slack).toHaveLength(1);
    expect(JSON.stringify(slack[0].body)).toContain('Vast.ai outage (e2e)');
    expect(JSON.stringify(slack[0].body)).toContain('P1');
    const statuspage = portal.stack.sandbox.receivers.statuspageRequests();
    expect(statuspage.map(r => r.method)).toEqual(['POST']);
    // The public page gets the public template's words, never the internal title.
    expect(JSON.stringify(statuspage[0].body)).toContain(
      'Vast.ai Integration Issue',
    );
    expect(JSON.stringify(statuspage[0].body)).not.toContain(
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
    await waitForRunOutcome(page);
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
      portal.browser.problems.filter(p =>
        /vastai-incident\/v1\/incidents/.test(p),
      ),
    ).toEqual([]);
  });
});
