import type {
  Incident,
  Severity,
} from '@vastai-incident/backstage-plugin-common';
import {
  SEVERITY_EMOJI,
  slackHeader,
  slackPayload,
  slackTemplate,
} from './templates';

function incident(more: Partial<Incident> = {}): Incident {
  return {
    id: 'i-1',
    entityRef: 'component:default/vastai-integration',
    integration: 'vastai-integration',
    title: 'Vast.ai Integration',
    severity: 'P1',
    status: 'investigating',
    impact: 'GPU launches fail for every user',
    commander: 'user:default/ada',
    declaredBy: 'user:default/ada',
    declaredAt: '2026-12-04T18:00:00.000Z',
    updatedAt: '2026-12-04T18:00:00.000Z',
    responseDueAt: '2026-12-04T18:15:00.000Z',
    overdue: false,
    ...more,
  };
}

const NOW = new Date('2026-12-04T18:05:00Z');

describe("the runbook's Slack template", () => {
  it('heads the message "🔴 P1 INCIDENT: <title>", one emoji per severity', () => {
    expect(slackHeader(incident())).toBe('🔴 P1 INCIDENT: Vast.ai Integration');
    const headers = (['P1', 'P2', 'P3', 'P4'] as Severity[]).map(severity =>
      slackHeader(incident({ severity })),
    );
    expect(headers).toEqual([
      '🔴 P1 INCIDENT: Vast.ai Integration',
      '🟠 P2 INCIDENT: Vast.ai Integration',
      '🟡 P3 INCIDENT: Vast.ai Integration',
      '🔵 P4 INCIDENT: Vast.ai Integration',
    ]);
    expect(new Set(Object.values(SEVERITY_EMOJI)).size).toBe(4);
  });

  it("keeps the header within Slack's 150 characters", () => {
    const header = slackHeader(incident({ title: 'x'.repeat(300) }));
    expect(header.length).toBeLessThanOrEqual(150);
    expect(header.startsWith('🔴 P1 INCIDENT: xxx')).toBe(true);
  });

  it('lists status, impact, current action, next update and commander in that order', () => {
    const text = slackTemplate(incident(), [], NOW, '<@U024BE7LH>');
    expect(text.split('\n')).toEqual([
      '*Status:* Investigating',
      '*Impact:* GPU launches fail for every user',
      '*Current action:* Investigating the cause',
      '*Next update:* 2026-12-04 18:20 UTC (in 15 min)',
      '*Incident commander:* <@U024BE7LH>',
    ]);
  });

  it('without a resolved commander, names the commander as entered, escaped', () => {
    const text = slackTemplate(
      incident({ commander: 'Ada <!channel>' }),
      [],
      NOW,
    );
    expect(text).toContain('*Incident commander:* Ada &lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('sends the header as plain text and escapes it in the mrkdwn fallback', () => {
    const payload = slackPayload(
      incident({ title: 'Outage <!here>' }),
      '*Status:* Investigating',
    );
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: '🔴 P1 INCIDENT: Outage <!here>',
        emoji: true,
      },
    });
    expect(payload.text.split('\n')[0]).toBe(
      '🔴 P1 INCIDENT: Outage &lt;!here&gt;',
    );
  });
});
