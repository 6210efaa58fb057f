/**
 * app-config.production.yaml stands alone: loaded by itself (as `--config
 * app-config.production.yaml` loads it) with the environment a deployment gives it, it holds no
 * loopback or sandbox value, and the Vast.ai incident plugin's config reader accepts it. A
 * production config that points comms at loopback fails the start, unless explicitly allowed.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { ConfigSources, FileConfigSource } from '@backstage/config-loader';
import type { JsonObject, JsonValue } from '@backstage/types';
import { readConfig } from '@vastai-incident/backstage-plugin-backend';

const repoRoot = resolvePackagePath('backend', '../..');

/** What a deployment sets; nothing here points at this machine. */
const ENV: Record<string, string> = {
  APP_BASE_URL: 'https://portal.example.com',
  BACKEND_BASE_URL: 'https://portal.example.com',
  POSTGRES_HOST: 'postgres.internal.example.com',
  POSTGRES_USER: 'backstage',
  POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
  REDIS_URL: 'redis://redis.internal.example.com:6379',
  VASTAI_OPERATOR_KEY: randomBytes(32).toString('hex'),
  PROMETHEUS_URL: 'http://prometheus.monitoring.svc.cluster.local:9090',
  KUBERNETES_CLUSTER_URL: 'https://kubernetes.internal.example.com:6443',
  KUBERNETES_SERVICE_ACCOUNT_TOKEN: randomBytes(16).toString('hex'),
};

/** The sandbox's addresses and demo secrets, as app-config.yaml has them. */
const SANDBOX_VALUE =
  /127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0|sandbox|:71\d\d\b/i;

async function loadConfigFile(
  name = 'app-config.production.yaml',
): Promise<JsonObject> {
  const config = await ConfigSources.toConfig(
    FileConfigSource.create({
      path: path.join(repoRoot, name),
      substitutionFunc: async variable => ENV[variable],
    }),
  );
  const data = config.get<JsonObject>();
  config.close();
  return data;
}

/** `path = value` for every text value of the tree. */
function textValues(value: JsonValue | undefined, at = ''): string[] {
  if (typeof value === 'string') return [`${at} = ${value}`];
  if (Array.isArray(value))
    return value.flatMap((v, i) => textValues(v, `${at}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) =>
      textValues(v, at ? `${at}.${k}` : k),
    );
  return [];
}

const reader = (...layers: JsonObject[]) =>
  ConfigReader.fromConfigs(
    layers.map((data, i) => ({ data, context: `layer ${i}` })),
  );

describe('app-config.production.yaml', () => {
  it('stands alone: no loopback or sandbox value, a production start, and the plugin accepts it', async () => {
    const data = await loadConfigFile();
    expect(textValues(data).filter(v => SANDBOX_VALUE.test(v))).toEqual([]);
    // Nothing is left to inheritance: every block of the embedded config has its own here.
    const embedded = await loadConfigFile('app-config.yaml');
    expect(Object.keys(data)).toEqual(
      expect.arrayContaining(Object.keys(embedded)),
    );
    expect(Object.keys(data.vastaiIncident as JsonObject)).toEqual(
      expect.arrayContaining(
        Object.keys(embedded.vastaiIncident as JsonObject),
      ),
    );
    expect(data).toMatchObject({
      auth: { environment: 'production' },
      backend: { database: { client: 'pg' } },
    });
    const settings = readConfig(reader(data));
    expect([...settings.core.integrations.keys()]).toEqual([
      'vastai-integration',
      'vastai-batch-worker',
    ]);
    expect(settings.core.vendor.operatorApiKey).toBe(ENV.VASTAI_OPERATOR_KEY);
    // No Slack or Statuspage until the deployment configures its own.
    for (const comms of settings.incidents.comms.values())
      expect(comms).toEqual({});
  });

  it('refuses a production start with a loopback Slack webhook, with a clear message; accepts it when explicitly allowed', async () => {
    const data = await loadConfigFile();
    const loopbackSlack: JsonObject = {
      vastaiIncident: {
        integrations: {
          'vastai-integration': {
            slack: {
              webhookUrl: 'http://127.0.0.1:7106/slack/webhook/vastai-oncall',
            },
          },
        },
      },
    };
    expect(() => readConfig(reader(data, loopbackSlack))).toThrow(
      'Invalid config at vastaiIncident.integrations.vastai-integration.slack.webhookUrl: a production start (auth.environment: production) cannot send incident communications to a loopback address',
    );
    const allowed = readConfig(
      reader(data, loopbackSlack, {
        vastaiIncident: { allowLoopbackComms: true },
      }),
    );
    expect(
      allowed.incidents.comms.get('vastai-integration')?.slack?.webhookUrl,
    ).toBe('http://127.0.0.1:7106/slack/webhook/vastai-oncall');
  });
});
