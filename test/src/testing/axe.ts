/*
 * axe-core in the page under test: the WCAG 2.0/2.1 A and AA rules, violations of impact serious
 * or critical, each with its rule id, impact and the elements it found.
 */
import fs from 'node:fs';
import { Page } from 'playwright-core';

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  /** CSS selectors of the failing elements (the first few). */
  targets: string[];
  /** axe's own explanation for the first element (the measured contrast ratio, say). */
  summary?: string;
  /** The start of the first element's HTML, to find it in the code. */
  html?: string;
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The serious and critical violations axe-core finds on the page as it is drawn now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the portal's CSP forbids injected script tags.
  const loaded = await page.evaluate(() => !!(window as any).axe);
  if (!loaded) {
    await page.evaluate(
      fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'),
    );
  }
  return page.evaluate(async tags => {
    const result = await (window as any).axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return (result.violations as any[])
      .filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(v => ({
        id: v.id as string,
        impact: v.impact as string,
        help: v.help as string,
        targets: (v.nodes as any[])
          .slice(0, 5)
          .map(n => (n.target as string[]).join(' ')),
        summary: (v.nodes[0]?.failureSummary as string | undefined)
          ?.split('\n')
          .slice(0, 2)
          .join(' '),
        html: (v.nodes[0]?.html as string | undefined)?.slice(0, 160),
      }));
  }, AXE_TAGS);
}

/** One line per violation: what a failure message needs to find and fix it. */
export function describeViolations(
  where: string,
  violations: AxeViolation[],
): string[] {
  return violations.map(
    v =>
      `${where}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(' | ')}${
        v.summary ? ` -- ${v.summary}` : ''
      }${v.html ? ` -- ${v.html}` : ''}`,
  );
}
