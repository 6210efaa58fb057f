import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readVastaiIncidentConfig } from '../config';
import {
  LocalServer,
  sendJson,
  startLocalServer,
} from '../testing/localServer';
import { createMemoryCache } from '../testing/memoryCache';
import { SignalService } from './signalService';

describe('SignalService', () => {
  let healthy = true;
  let health: LocalServer;
  beforeAll(async () => {
    health = await startLocalServer((_req, res) => {
      if (healthy)
        sendJson(res, 200, {
          status: 'degraded',
          vastai: { connected: false },
        });
      else res.end('<html>502 Bad Gateway</html>');
    });
  });
  afterAll(() => health.close());

  it('serves the last known good health, marked stale, when the endpoint starts answering garbage', async () => {
    const config = readVastaiIncidentConfig(
      new ConfigReader({
        vastaiIncident: {
          cacheTtlSeconds: 0.05,
          upstreamTimeoutMs: 300,
          vendor: { status: { type: 'none' } },
          integrations: { svc: { healthUrl: `${health.url}/health` } },
        },
      }),
    );
    const service = new SignalService({
      config,
      cache: createMemoryCache(),
      logger: mockServices.logger.mock(),
    });
    const integration = service.integration('svc')!;

    healthy = true;
    const first = await service.collect(integration);
    expect(first.health).toMatchObject({
      state: 'degraded',
      value: { status: 'degraded' },
    });
    expect(first.health.stale).toBeUndefined();

    healthy = false;
    await new Promise(r => setTimeout(r, 1100)); // past the TTL, and an age of at least 1 s
    const second = await service.collect(integration);
    expect(second.health).toMatchObject({ state: 'degraded', stale: true });
    expect(second.health.ageSeconds).toBeGreaterThanOrEqual(1);
    expect(second.health.reason).toMatch(/HTML.*last known value/);
    expect(second.health.observedAt).toBe(first.health.observedAt);

    // Not configured is unknown, not stale and not an error.
    expect(second.vendorStatus.state).toBe('unknown');
    expect(second.metrics.state).toBe('unknown');
    expect(second.kubernetes.state).toBe('unknown');
    expect(second.vendorApi.state).toBe('unknown');
  });

  it('reads an unreachable Vast.ai as evidence, never as the last good answer served stale', async () => {
    let reachable = true;
    const vast = await startLocalServer((req, res) => {
      if (reachable) sendJson(res, 200, { id: 1 });
      else req.socket.destroy();
    });
    try {
      const config = readVastaiIncidentConfig(
        new ConfigReader({
          vastaiIncident: {
            cacheTtlSeconds: 0.05,
            upstreamTimeoutMs: 300,
            vendor: {
              apiBaseUrl: `${vast.url}/api/v0`,
              operatorApiKey: 'operator-key',
              probeMinIntervalSeconds: 0.05,
              status: { type: 'none' },
            },
            integrations: { svc: {} },
          },
        }),
      );
      const service = new SignalService({
        config,
        cache: createMemoryCache(),
        logger: mockServices.logger.mock(),
      });
      const integration = service.integration('svc')!;
      expect((await service.collect(integration)).vendorApi.state).toBe('ok');
      reachable = false;
      await new Promise(r => setTimeout(r, 150));
      const down = (await service.collect(integration)).vendorApi;
      expect(down).toMatchObject({
        state: 'failing',
        value: { outcome: 'unreachable' },
      });
      expect(down.stale).toBeUndefined();
    } finally {
      await vast.close();
    }
  });

  it('gives each source a freshness budget of three probe intervals unless configured', () => {
    const config = readVastaiIncidentConfig(
      new ConfigReader({
        vastaiIncident: {
          cacheTtlSeconds: 10,
          vendor: { probeMinIntervalSeconds: 30 },
          freshnessSeconds: { metrics: 120 },
        },
      }),
    );
    const service = new SignalService({
      config,
      cache: createMemoryCache(),
      logger: mockServices.logger.mock(),
    });
    expect(service.freshnessBudgets()).toEqual({
      vendorStatus: 30,
      vendorApi: 90,
      health: 30,
      metrics: 120,
      kubernetes: 30,
    });
  });
});
