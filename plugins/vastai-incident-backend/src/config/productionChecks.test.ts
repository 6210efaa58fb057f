import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { isLoopbackUrl } from './productionChecks';
import { readConfig } from './readConfig';

const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/secret-part';

/** A production config whose integration sends to these endpoints. */
function production(
  comms: { webhookUrl?: string; statuspageUrl?: string },
  extra: JsonObject = {},
  environment = 'production',
): ConfigReader {
  return new ConfigReader({
    auth: { environment },
    vastaiIncident: {
      ...extra,
      integrations: {
        'vastai-integration': {
          entities: ['component:default/vastai-integration'],
          ...(comms.webhookUrl
            ? { slack: { webhookUrl: comms.webhookUrl } }
            : {}),
          ...(comms.statuspageUrl
            ? {
                statuspage: {
                  apiBaseUrl: comms.statuspageUrl,
                  pageId: 'page',
                  apiKey: 'statuspage-key',
                },
              }
            : {}),
        },
      },
    },
  });
}

describe('production comms check', () => {
  it.each([
    'http://127.0.0.1:7106/slack/webhook/vastai-oncall',
    'http://127.9.9.9/x',
    'http://localhost:7106/x',
    'http://LOCALHOST./x',
    'http://receivers.localhost/x',
    'http://[::1]:7106/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://2130706433/x',
    'http://0x7f.1/x',
    'http://0.0.0.0:7106/x',
  ])('%s is loopback', url => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  it.each([
    WEBHOOK,
    'https://api.statuspage.io/v1',
    'http://10.0.0.5/x',
    'http://receivers.vastai.svc.cluster.local/x',
    'not a url',
  ])('%s is not loopback', url => {
    expect(isLoopbackUrl(url)).toBe(false);
  });

  it('refuses a production start whose Slack webhook is on loopback, naming the key and the way out, never the URL', () => {
    const url = 'http://127.0.0.1:7106/slack/webhook/vastai-oncall';
    let message = '';
    try {
      readConfig(production({ webhookUrl: url }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^Invalid config at vastaiIncident\.integrations\.vastai-integration\.slack\.webhookUrl: a production start \(auth\.environment: production\) cannot send incident communications to a loopback address/,
    );
    expect(message).toContain('vastaiIncident.allowLoopbackComms: true');
    expect(message).not.toContain('vastai-oncall');
  });

  it('names every loopback comms endpoint (the Statuspage API too)', () => {
    expect(() =>
      readConfig(
        production({
          webhookUrl: 'http://localhost/hook',
          statuspageUrl: 'http://[::1]:7106/statuspage/v1',
        }),
      ),
    ).toThrow(
      /slack\.webhookUrl, vastaiIncident\.integrations\.vastai-integration\.statuspage\.apiBaseUrl: /,
    );
  });

  it('accepts loopback comms in production when explicitly allowed, and outside production', () => {
    const url = 'http://127.0.0.1:7106/slack/webhook/vastai-oncall';
    expect(
      readConfig(
        production({ webhookUrl: url }, { allowLoopbackComms: true }),
      ).incidents.comms.get('vastai-integration')?.slack?.webhookUrl,
    ).toBe(url);
    expect(() =>
      readConfig(production({ webhookUrl: url }, {}, 'development')),
    ).not.toThrow();
  });

  it('accepts a production start with real comms endpoints', () => {
    expect(() =>
      readConfig(
        production({
          webhookUrl: WEBHOOK,
          statuspageUrl: 'https://api.statuspage.io/v1',
        }),
      ),
    ).not.toThrow();
  });
});
