import { SCENARIOS } from '../scenarios/scenarios';
import { StatusPage } from './statusPageServer';

describe('simulated vendor status page', () => {
  let page: StatusPage;
  let base: string;
  beforeEach(async () => {
    page = new StatusPage();
    base = (await page.start(0)).url;
  });
  afterEach(() => page.stop());

  it('serves Statuspage v2 JSON for an operational page', async () => {
    const summary = await (await fetch(`${base}/api/v2/summary.json`)).json();
    expect(summary.status).toEqual({
      indicator: 'none',
      description: 'All Systems Operational',
    });
    expect(summary.page).toMatchObject({
      id: expect.any(String),
      name: 'Vast.ai',
      updated_at: expect.any(String),
    });
    expect(summary.components.length).toBeGreaterThan(0);
    expect(
      summary.components.every((c: any) => c.status === 'operational'),
    ).toBe(true);
    expect(summary.incidents).toEqual([]);
    expect(summary.scheduled_maintenances).toEqual([]);
  });

  it('shows the outage incident and components of vendor-outage', async () => {
    page.setSpec(SCENARIOS['vendor-outage'].statusPage);
    const summary = await (await fetch(`${base}/api/v2/summary.json`)).json();
    expect(summary.status.indicator).toBe('major');
    expect(summary.components.find((c: any) => c.name === 'API').status).toBe(
      'major_outage',
    );
    expect(summary.incidents).toHaveLength(1);
    expect(summary.incidents[0]).toMatchObject({
      status: 'identified',
      impact: 'major',
      resolved_at: null,
    });
    expect(summary.incidents[0].incident_updates[0].status).toBe('identified');
    const status = await (await fetch(`${base}/api/v2/status.json`)).json();
    expect(status.status.indicator).toBe('major');
  });

  it('keeps resolved incidents out of the summary but in incidents.json (recovered)', async () => {
    page.setSpec(SCENARIOS.recovered.statusPage);
    const summary = await (await fetch(`${base}/api/v2/summary.json`)).json();
    expect(summary.status.indicator).toBe('none');
    expect(summary.incidents).toEqual([]);
    const { incidents } = await (
      await fetch(`${base}/api/v2/incidents.json`)
    ).json();
    expect(incidents[0]).toMatchObject({
      status: 'resolved',
      resolved_at: expect.any(String),
    });
  });

  it('degraded-latency has a minor indicator and the latency incident', async () => {
    page.setSpec(SCENARIOS['degraded-latency'].statusPage);
    const summary = await (await fetch(`${base}/api/v2/summary.json`)).json();
    expect(summary.status.indicator).toBe('minor');
    expect(summary.components.find((c: any) => c.name === 'API').status).toBe(
      'degraded_performance',
    );
    expect(summary.incidents[0].name).toBe('Elevated API latency');
  });

  it('can serve HTML, garbage, or hang', async () => {
    page.setMode('html');
    const html = await fetch(`${base}/api/v2/summary.json`);
    expect(html.headers.get('content-type')).toContain('text/html');
    await expect(html.json()).rejects.toThrow();

    page.setMode('garbage');
    const garbage = await fetch(`${base}/api/v2/summary.json`);
    expect(garbage.headers.get('content-type')).toContain('application/json');
    await expect(garbage.json()).rejects.toThrow();

    page.setMode('hang');
    await expect(
      fetch(`${base}/api/v2/summary.json`, {
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
  });
});
