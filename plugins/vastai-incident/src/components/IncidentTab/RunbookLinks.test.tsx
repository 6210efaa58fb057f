import '@testing-library/jest-dom';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import type { Incident } from '@vastai-incident/backstage-plugin-common';
import { RunbookLinks, safeHttpUrl } from './RunbookLinks';

const incident = {
  id: 'inc-1',
  severity: 'P2',
  title: 'Slow calls',
  status: 'investigating',
} as Incident;

describe('the runbook links of the summary', () => {
  it('names each link, opens external ones in a new tab without an opener, and anchors the open incident', async () => {
    await renderInTestApp(
      <RunbookLinks
        links={{
          vendorStatus: 'https://status.vast.ai',
          vendorSupport: 'https://discord.gg/vast',
          runbook: 'https://wiki.example.com/runbooks/vastai',
        }}
        openIncident={incident}
      />,
    );
    const nav = screen.getByRole('navigation', { name: 'Runbook links' });
    const expected: Array<[RegExp, string]> = [
      [
        /^Runbook \(opens in a new tab\)$/,
        'https://wiki.example.com/runbooks/vastai',
      ],
      [
        /^Vast\.ai status page \(opens in a new tab\)$/,
        'https://status.vast.ai/',
      ],
      [/^Vast\.ai support \(opens in a new tab\)$/, 'https://discord.gg/vast'],
    ];
    for (const [name, href] of expected) {
      const link = within(nav).getByRole('link', { name });
      expect(link).toHaveAttribute('href', href);
      expect(link).toHaveAttribute('target', '_blank');
      expect(link.getAttribute('rel')?.split(' ')).toContain('noopener');
    }
    const open = within(nav).getByRole('link', { name: 'Open incident (P2)' });
    expect(open).toHaveAttribute('href', '#vastai-section-incident');
    expect(open).not.toHaveAttribute('target');
  });

  it('drops any link that is not an absolute http(s) URL', async () => {
    await renderInTestApp(
      <RunbookLinks
        links={
          {
            // eslint-disable-next-line no-script-url -- the hostile value under test
            vendorStatus: 'javascript:alert(1)',
            vendorSupport: ' JaVaScRiPt:alert(1)',
            runbook: 'data:text/html,<b>x</b>',
          } as any
        }
      />,
    );
    expect(screen.queryByRole('navigation')).not.toBeInTheDocument();
    expect(document.querySelector('a')).toBeNull();
  });

  it('shows nothing without links or an open incident', async () => {
    await renderInTestApp(<RunbookLinks links={undefined} />);
    expect(screen.queryByTestId('vastai-links')).not.toBeInTheDocument();
  });

  it.each([
    ['https://status.vast.ai', 'https://status.vast.ai/'],
    ['http://wiki.internal/a?b=c#d', 'http://wiki.internal/a?b=c#d'],
    // eslint-disable-next-line no-script-url -- the hostile value under test
    ['javascript:alert(1)', undefined],
    ['vbscript:x', undefined],
    ['/relative', undefined],
    ['//evil.example.com', undefined],
    [42, undefined],
    [{ href: 'https://x' }, undefined],
  ])('safeHttpUrl(%j) is %j', (value, expected) => {
    expect(safeHttpUrl(value)).toBe(expected);
  });
});
