import { ConfigReader } from '@backstage/config';
import { buildTriageReport } from '../signals/triageService';
import type { SignalService } from '../signals/signalService';
import { SCENARIO_SIGNALS } from '../testing/testSignals';
import { readVastaiIncidentConfig } from './readConfig';

const read = (links: Record<string, string> | undefined) =>
  readVastaiIncidentConfig(
    new ConfigReader({
      vastaiIncident: { integrations: { a: links ? { links } : {} } },
    }),
  ).integrations.get('a')!;

describe('integration links', () => {
  it("defaults to Vast.ai's status page and support, with no runbook link", () => {
    expect(read(undefined).links).toEqual({
      vendorStatus: 'https://status.vast.ai',
      vendorSupport: 'https://discord.gg/vast',
    });
  });

  it('takes each link from the integration', () => {
    expect(
      read({
        vendorStatus: 'https://status.example.com/',
        vendorSupport: 'https://example.com/support',
        runbook: 'http://wiki.internal/runbooks/vastai#quick-triage',
      }).links,
    ).toEqual({
      vendorStatus: 'https://status.example.com/',
      vendorSupport: 'https://example.com/support',
      runbook: 'http://wiki.internal/runbooks/vastai#quick-triage',
    });
  });

  it.each([
    // eslint-disable-next-line no-script-url -- the hostile value under test
    ['runbook', 'javascript:alert(document.cookie)', 'must be an http(s) URL'],
    ['runbook', ' JavaScript:alert(1)', 'must be an http(s) URL'],
    ['vendorStatus', 'data:text/html,<script>alert(1)</script>', 'http(s)'],
    ['vendorSupport', 'vbscript:msgbox(1)', 'http(s)'],
    ['runbook', '/relative/runbook', 'not a URL'],
    ['runbook', 'https://user:pass@wiki.example.com/', 'credentials'],
  ])('refuses %s = %j at start, naming the key', (key, value, message) => {
    expect(() => read({ [key]: value })).toThrow(
      new RegExp(`integrations\\.a\\.links\\.${key}: .*${escape(message)}`),
    );
  });

  it('puts the links in the triage report', async () => {
    const integration = read({ runbook: 'https://wiki.example.com/vastai' });
    const signals = {
      collect: async () => SCENARIO_SIGNALS.healthy,
      freshnessBudgets: () => undefined,
    } as unknown as SignalService;
    const report = await buildTriageReport(
      signals,
      'component:default/a',
      integration,
    );
    expect(report.links).toEqual({
      vendorStatus: 'https://status.vast.ai',
      vendorSupport: 'https://discord.gg/vast',
      runbook: 'https://wiki.example.com/vastai',
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
