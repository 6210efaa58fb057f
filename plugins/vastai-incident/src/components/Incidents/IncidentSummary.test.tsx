import { renderInTestApp } from '@backstage/frontend-test-utils';
import type { Incident } from '@vastai-incident/backstage-plugin-common';
import { screen } from '@testing-library/react';
import { ResponseClock } from './IncidentSummary';

const HOUR = 3600_000;

function incident(more: Partial<Incident>): Incident {
  const declaredAt = new Date(Date.now() - 26 * HOUR).toISOString();
  return {
    id: '00000000-0000-4000-8000-000000000009',
    entityRef: 'component:default/vastai-integration',
    title: 'Dashboards missing',
    severity: 'P4',
    status: 'investigating',
    impact: 'No user impact',
    commander: 'user:default/jane',
    declaredBy: 'user:default/jane',
    declaredAt,
    updatedAt: declaredAt,
    responseDueAt: new Date(Date.now() + 46 * HOUR).toISOString(),
    responseTarget: 'next business day',
    overdue: false,
    ...more,
  };
}

describe('ResponseClock', () => {
  it("counts down to the backend's due time for a P4, not to declaration + 24 h", async () => {
    // Declared 26 h ago (say Friday evening, now Saturday night): due in 46 h (Monday close).
    await renderInTestApp(<ResponseClock incident={incident({})} />);
    const clock = screen.getByTestId('vastai-incident-clock');
    expect(clock).toHaveAttribute('data-overdue', 'false');
    expect(clock).toHaveTextContent(
      /^⏱ 4[56]:\d\d:\d\d left to respond \(target next business day, due .+\)$/,
    );
    expect(clock).not.toHaveTextContent(/OVERDUE|1440/);
  });

  it('says overdue once the due time the backend gave has passed', async () => {
    await renderInTestApp(
      <ResponseClock
        incident={incident({
          severity: 'P1',
          responseTarget: '15 min',
          responseDueAt: new Date(Date.now() - 5 * 60_000).toISOString(),
          overdue: true,
        })}
      />,
    );
    const clock = screen.getByTestId('vastai-incident-clock');
    expect(clock).toHaveAttribute('data-overdue', 'true');
    expect(clock).toHaveTextContent(
      /OVERDUE by [45]:\d\d: the response target \(15 min\) passed at/,
    );
  });

  it('words the target from the severity when an older backend sends none', async () => {
    await renderInTestApp(
      <ResponseClock incident={incident({ responseTarget: undefined })} />,
    );
    expect(screen.getByTestId('vastai-incident-clock')).toHaveTextContent(
      /\(target next business day, due /,
    );
  });
});
