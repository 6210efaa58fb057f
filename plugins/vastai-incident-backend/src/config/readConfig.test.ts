import { ConfigReader } from '@backstage/config';
import { DEFAULT_TRIAGE_THRESHOLDS } from '../triage';
import { readVastaiIncidentConfig } from './readConfig';

const clusters = {
  kubernetes: {
    clusterLocatorMethods: [
      { type: 'catalog' },
      {
        type: 'config',
        clusters: [
          {
            name: 'sandbox',
            url: 'http://127.0.0.1:7105',
            authProvider: 'serviceAccount',
            serviceAccountToken: 't',
            skipTLSVerify: true,
            caData: 'Y2E=',
          },
        ],
      },
    ],
  },
};

describe('readVastaiIncidentConfig', () => {
  it('starts with defaults from an empty config', () => {
    const config = readVastaiIncidentConfig(new ConfigReader({}));
    expect(config).toMatchObject({
      actionsEnabled: false,
      cacheTtlMs: 15_000,
      upstreamTimeoutMs: 3000,
      triageTimeoutMs: 3000,
      vendor: { probeMinIntervalMs: 30_000, status: { type: 'statuspage' } },
    });
    expect(config.integrations.size).toBe(0);
    expect(config.prometheus).toBeUndefined();
  });

  it('reads integrations, their cluster from the Kubernetes plugin config, and thresholds', () => {
    const config = readVastaiIncidentConfig(
      new ConfigReader({
        ...clusters,
        vastaiIncident: {
          actionsEnabled: true,
          cacheTtlSeconds: 5,
          upstreamTimeoutMs: 1000,
          vendor: {
            apiBaseUrl: 'http://127.0.0.1:7101/api/v0',
            operatorApiKey: 'k',
            probeMinIntervalSeconds: 10,
            status: { type: 'none' },
          },
          prometheus: { baseUrl: 'http://127.0.0.1:7190', rateWindow: '30s' },
          ssrf: { allowedHosts: ['169.254.1.1'] },
          integrations: {
            'vastai-integration': {
              title: 'Vast.ai integration',
              healthUrl: 'http://127.0.0.1:7103/health',
              prometheusJob: 'vastai-integration',
              kubernetes: {
                cluster: 'sandbox',
                namespace: 'vastai',
                deployment: 'vastai-integration',
                container: 'app',
                secretName: 'vastai-secrets',
                secretKey: 'api-key',
              },
              thresholds: { errorRatio: 0.1 },
            },
          },
        },
      }),
    );
    expect(config.cacheTtlMs).toBe(5000);
    expect(config.triageTimeoutMs).toBe(1000);
    expect(config.prometheus).toEqual({
      baseUrl: 'http://127.0.0.1:7190',
      rateWindow: '30s',
    });
    expect(config.clusters.get('sandbox')).toEqual({
      name: 'sandbox',
      url: 'http://127.0.0.1:7105',
      serviceAccountToken: 't',
      skipTLSVerify: true,
      caData: 'Y2E=',
    });
    const integration = config.integrations.get('vastai-integration')!;
    expect(integration.kubernetes?.secretName).toBe('vastai-secrets');
    expect(integration.thresholds).toEqual({
      ...DEFAULT_TRIAGE_THRESHOLDS,
      errorRatio: 0.1,
    });
    expect(config.ssrfAllowedHosts).toEqual(['169.254.1.1']);
  });

  it('binds each integration to the entities it lists, refs normalised, none when unset', () => {
    const config = readVastaiIncidentConfig(
      new ConfigReader({
        vastaiIncident: {
          integrations: {
            bound: {
              entities: [
                'component:default/vastai-integration',
                'Component:Default/Second-Service',
                'component:third',
              ],
            },
            unbound: {},
          },
        },
      }),
    );
    expect([...config.integrations.get('bound')!.entities]).toEqual([
      'component:default/vastai-integration',
      'component:default/second-service',
      'component:default/third',
    ]);
    expect(config.integrations.get('unbound')!.entities.size).toBe(0);
  });

  it.each([
    [
      { prometheus: { baseUrl: 'http://p', rateWindow: '5 minutes' } },
      /rateWindow/,
    ],
    [{ prometheus: { baseUrl: 'ftp://p' } }, /http\(s\)/],
    [{ vendor: { status: { type: 'instatus' } } }, /unsupported type/],
    [
      { vendor: { apiBaseUrl: 'http://user:pw@host/api' } },
      /credentials in URLs/,
    ],
    [{ upstreamTimeoutMs: -1 }, /positive/],
    [
      {
        integrations: {
          a: {
            kubernetes: { cluster: 'nope', namespace: 'n', deployment: 'd' },
          },
        },
      },
      /no cluster "nope"/,
    ],
    [
      {
        integrations: {
          a: {
            kubernetes: {
              cluster: 'sandbox',
              namespace: '../etc',
              deployment: 'd',
            },
          },
        },
      },
      /Kubernetes name/,
    ],
    [
      { integrations: { a: { thresholds: { errorRatio: -1 } } } },
      /non-negative/,
    ],
    [
      { integrations: { a: { entities: ['vastai-integration'] } } },
      /integrations\.a\.entities\[0\]: not an entity ref/,
    ],
    [
      {
        integrations: {
          a: { entities: [`component:default/${'n'.repeat(64)}`] },
        },
      },
      /integrations\.a\.entities\[0\]/,
    ],
  ])('refuses a broken config: %j', (vastaiIncident, message) => {
    expect(() =>
      readVastaiIncidentConfig(
        new ConfigReader({ ...clusters, vastaiIncident }),
      ),
    ).toThrow(message);
  });
});
