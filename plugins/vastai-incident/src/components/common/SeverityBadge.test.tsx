import '@testing-library/jest-dom';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import {
  SEVERITY_MEANING,
  type Severity,
} from '@vastai-incident/backstage-plugin-common';
import { SeverityBadge } from './SeverityBadge';

describe('the severity badge', () => {
  it.each(['P1', 'P2', 'P3', 'P4'] as Severity[])(
    'writes %s and its meaning out, not only in colour',
    async severity => {
      await renderInTestApp(<SeverityBadge severity={severity} />);
      const badge = screen.getByRole('status', {
        name: new RegExp(
          `^Severity ${severity}: ${SEVERITY_MEANING[severity]}`,
        ),
      });
      expect(badge).toHaveTextContent(severity);
      expect(badge).toHaveTextContent(SEVERITY_MEANING[severity]);
      expect(badge).toHaveTextContent(/respond within/);
    },
  );

  it('writes "No incident" when triage reports no severity', async () => {
    await renderInTestApp(<SeverityBadge severity={null} />);
    expect(
      screen.getByRole('status', { name: 'Severity: no incident' }),
    ).toHaveTextContent('No incident');
  });
});
