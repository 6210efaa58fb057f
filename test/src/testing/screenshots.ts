/*
 * Screenshots meant for people (the tab in each theme): into VASTAI_SCREENSHOTS_DIR, which
 * `npm test` sets and prints, else test/screenshots/ (git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { REPO_ROOT } from './stack';

export function screenshotsDir(): string {
  const dir = process.env.VASTAI_SCREENSHOTS_DIR;
  return dir ? path.resolve(dir) : path.join(REPO_ROOT, 'test/screenshots');
}

/** A full-page screenshot named `<name>.png` in the screenshots folder; returns its path. */
export async function saveScreenshot(
  page: Page,
  name: string,
): Promise<string> {
  const dir = screenshotsDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
