import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  METRIC_QUERY_IDS,
  MetricSeries,
} from '@vastai-incident/backstage-plugin-common';
import { readVastaiIncidentConfig } from '../config';
import type { PrometheusClient } from '../probes';
import { SignalService } from '../signals';
import { createMemoryCache } from '../testing/memoryCache';
import { readIncidentsConfig } from './commsConfig';
import { readTarGz } from './evidence';
import { IncidentService } from './service';
import { IncidentStore } from './store';

jest.setTimeout(60_000);

const CANARY = 'canary-operator-key-9e41bd';
const SP_CANARY = 'canary-statuspage-key-c2a871';
const forms = (s: string) => [
  s,
  Buffer.from(s).toString('base64').replace(/=+$/, ''),
  encodeURIComponent(s),
];

/** A Prometheus that answers every range query with two error classes at fixed per-minute rates. */
function fakePrometheus(instantValue = 0) {
  const ranges: Array<{
    query: string;
    start: number;
    end: number;
    stepSeconds: number;
  }> = [];
  const client: PrometheusClient = {
    async instant() {
      return instantValue;
    },
    async instantVector() {
      return [];
    },
    async range(query, bounds) {
      ranges.push({ query, ...bounds });
      const points = (value: number): Array<[number, number | null]> => {
        const out: Array<[number, number | null]> = [];
        for (let t = bounds.start; t <= bounds.end; t += bounds.stepSeconds)
          out.push([t, value]);
        return out;
      };
      const series: MetricSeries[] = [
        // A hostile label value: a secret must not survive into the bundle.
        {
          labels: { error_type: 'server_error', note: `api_key=${CANARY}` },
          points: points(6),
        },
        { labels: { error_type: 'timeout' }, points: points(2) },
      ];
      return series;
    },
  };
  return { client, ranges };
}

describe('evidence bundles and postmortems', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup(
    extra: Record<string, unknown> = {},
    instantValue = 0,
    severity?: 'P1' | 'P2' | 'P3' | 'P4',
  ) {
    const knex = await databases.init('SQLITE_3');
    const store = await IncidentStore.create({
      database: { getClient: async () => knex },
    });
    const raw = {
      vastaiIncident: {
        upstreamTimeoutMs: 300,
        vendor: { operatorApiKey: CANARY, status: { type: 'none' } },
        prometheus: { baseUrl: 'http://127.0.0.1:1' },
        integrations: {
          'vastai-integration': {
            prometheusJob: 'vastai-integration',
            slack: {
              webhookUrl: 'http://127.0.0.1:1/slack/webhook/T0SECRETHOOK',
            },
            statuspage: {
              apiBaseUrl: 'http://127.0.0.1:1/v1',
              pageId: 'pg',
              apiKey: SP_CANARY,
            },
          },
        },
        ...extra,
      },
    };
    const prometheus = fakePrometheus(instantValue);
    const signals = new SignalService({
      config: readVastaiIncidentConfig(new ConfigReader(raw)),
      cache: createMemoryCache(),
      logger: mockServices.logger.mock(),
      clients: { prometheus: prometheus.client },
    });
    const service = new IncidentService({
      store,
      logger: mockServices.logger.mock(),
      config: readIncidentsConfig(new ConfigReader(raw)),
      signals,
      auditRows: async () => [
        {
          actionId: 'enable-fallback',
          outcome: 'succeeded',
          startedAt: new Date().toISOString(),
          reason: `token=${CANARY}`,
        },
      ],
    });
    const incident = await service.declare(
      {
        entityRef: 'component:default/vastai-integration',
        integration: 'vastai-integration',
        title: 'Vast.ai 5xx storm',
        impact: 'Offers missing',
        severity,
      },
      'user:default/alice',
    );
    return { knex, store, service, incident, prometheus };
  }

  it('builds a redacted .tar.gz in the background with visible progress', async () => {
    const { service, incident } = await setup();
    // Severity pre-filled from triage: no signal says anything, so the default P4.
    expect(incident.severity).toBe('P4');
    await service.addNote(
      incident.id,
      `Tried key ${CANARY} by hand`,
      'user:default/alice',
    );

    const started = await service.startEvidence(
      incident.id,
      'user:default/alice',
    );
    expect(started).toMatchObject({ status: 'building', progress: 0 });
    await service.settle();
    const bundle = await service.bundle(incident.id, started.id);
    expect(bundle).toMatchObject({ status: 'ready', progress: 100 });
    const content = await service.bundleContent(incident.id, started.id);
    expect(bundle.sizeBytes).toBe(content.length);
    expect(content.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

    const files = await readTarGz(content);
    const names = [...files.keys()].map(n =>
      n.replace(`incident-${incident.id}/`, ''),
    );
    for (const expected of [
      'triage/triage-report.json',
      'vendor-status/vendor-status.json',
      'logs/error-lines.json',
      'incident/incident.json',
      'incident/timeline.json',
      'incident/timeline.md',
      'incident/audit.json',
      'config/integration.redacted.json',
      'versions.json',
      'MANIFEST.json',
      ...METRIC_QUERY_IDS.flatMap(id => [
        `metrics/${id}.json`,
        `metrics/${id}.csv`,
      ]),
    ]) {
      expect(names).toContain(expected);
    }
    const file = (name: string) =>
      files.get(`incident-${incident.id}/${name}`)!;
    expect(file('metrics/errors-by-class.csv').split('\n')[0]).toBe(
      'time,unix,error_type,note,value',
    );
    expect(file('metrics/errors-by-class.csv')).toContain(',server_error,');
    expect(JSON.parse(file('config/integration.redacted.json'))).toMatchObject({
      slack: { webhookUrl: '[REDACTED]' },
      statuspage: { apiKey: '[REDACTED]', pageId: 'pg' },
    });
    expect(file('incident/timeline.md')).toContain(
      'Tried key [REDACTED] by hand',
    );
    expect(JSON.parse(file('versions.json')).node).toBe(process.version);

    const all = [...files.values()].join('\n');
    for (const secret of [CANARY, SP_CANARY, 'T0SECRETHOOK']) {
      for (const form of forms(secret)) expect(all).not.toContain(form);
    }
    expect((await service.timeline(incident.id)).map(e => e.kind)).toContain(
      'evidence',
    );
  });

  it('pre-fills the severity from triage when none is given', async () => {
    // Every reading at 50/min: auth errors above the runbook's threshold of 0 -> P1.
    const { incident, service } = await setup({}, 50);
    expect(incident.severity).toBe('P1');
    const [declared] = await service.timeline(incident.id);
    expect(declared.summary).toContain('severity triage');
    const given = await setup({}, 50, 'P3');
    expect(given.incident.severity).toBe('P3');
  });

  it('fails a bundle beyond the size bound, visibly', async () => {
    const { service, incident } = await setup({
      incidents: { maxEvidenceBytes: 300 },
    });
    const started = await service.startEvidence(
      incident.id,
      'user:default/alice',
    );
    await service.settle();
    const bundle = await service.bundle(incident.id, started.id);
    expect(bundle.status).toBe('failed');
    expect(bundle.reason).toMatch(/exceeds 300 bytes/);
    await expect(
      service.bundleContent(incident.id, started.id),
    ).rejects.toThrow(/failed/);
  });

  it('bundles the metrics of an incident resolved days ago over its own window, with the configured lead', async () => {
    const { knex, service, incident, prometheus } = await setup({
      incidents: { evidenceLeadMinutes: 30 },
    });
    const declaredAt = Date.now() - 3 * 24 * 3600_000;
    const resolvedAt = declaredAt + 2 * 3600_000;
    await knex('incident_records').where({ id: incident.id }).update({
      declared_at: declaredAt,
      resolved_at: resolvedAt,
      status: 'resolved',
      open_entity_ref: null,
    });
    prometheus.ranges.length = 0;
    const started = await service.startEvidence(
      incident.id,
      'user:default/alice',
    );
    await service.settle();
    const files = await readTarGz(
      await service.bundleContent(incident.id, started.id),
    );
    const file = (name: string) =>
      files.get(`incident-${incident.id}/${name}`)!;
    expect(prometheus.ranges).toHaveLength(METRIC_QUERY_IDS.length);
    for (const range of prometheus.ranges) {
      expect(range.start * 1000).toBeLessThanOrEqual(declaredAt - 30 * 60_000);
      expect(range.end * 1000).toBeGreaterThanOrEqual(resolvedAt);
      // Not the last hour (or day) before the build.
      expect(range.end * 1000).toBeLessThan(resolvedAt + 60_000);
    }
    const points = JSON.parse(file('metrics/errors-by-class.json')).series[0]
      .points as Array<[number, number]>;
    expect(points.length).toBeGreaterThan(100);
    // Whole seconds: the window's edges rounded outwards.
    expect(points[0][0]).toBeGreaterThanOrEqual(
      Math.floor((declaredAt - 30 * 60_000) / 1000),
    );
    expect(points[points.length - 1][0]).toBeLessThanOrEqual(
      Math.ceil(resolvedAt / 1000),
    );
    expect(JSON.parse(file('MANIFEST.json')).window).toEqual({
      from: new Date(declaredAt - 30 * 60_000).toISOString(),
      to: new Date(resolvedAt).toISOString(),
    });

    // The postmortem counts the failed requests of that window too.
    const draft = await service.postmortem(incident.id);
    expect(draft.markdown).toMatch(
      /Failed requests to Vast\.ai in the window: about \d+ /,
    );
    expect(draft.markdown).toContain('- **Duration:** 2 h 0 min');
  });

  it('drafts the postmortem from the template with failed requests computed from the metrics', async () => {
    const { knex, service, incident, prometheus } = await setup();
    // The incident began 20 minutes ago.
    const declaredAt = Date.now() - 20 * 60_000;
    await knex('incident_records')
      .where({ id: incident.id })
      .update({ declared_at: declaredAt });
    await service.update(incident.id, { severity: 'P2' }, 'user:default/alice');
    await service.update(
      incident.id,
      { status: 'resolved' },
      'user:default/alice',
    );
    const resolved = await service.get(incident.id);

    const draft = await service.postmortem(incident.id);
    expect(draft.saved).toBe(false);
    const range = prometheus.ranges.find(r =>
      r.query.includes('by (error_type)'),
    )!;
    const from = Math.floor(declaredAt / 1000);
    const to = Math.ceil(Date.parse(resolved.resolvedAt!) / 1000);
    let steps = 0;
    for (let t = range.start; t <= range.end; t += range.stepSeconds)
      if (t >= from && t <= to) steps++;
    // Each class is rounded to whole requests, then summed.
    const serverErrors = Math.round((steps * 6 * range.stepSeconds) / 60);
    const timeouts = Math.round((steps * 2 * range.stepSeconds) / 60);
    expect(steps).toBeGreaterThan(30);
    expect(draft.markdown).toContain(
      `Failed requests to Vast.ai in the window: about ${
        serverErrors + timeouts
      } `,
    );
    expect(draft.markdown).toContain(`server_error ${serverErrors}`);
    expect(draft.markdown).toContain(
      `- **Date:** ${resolved.declaredAt.slice(0, 10)}`,
    );
    expect(draft.markdown).toMatch(/\*\*Duration:\*\* 20 min/);
    expect(draft.markdown).toContain('- **Severity:** P2 (Degraded service)');
    expect(draft.markdown).toContain('Severity: P4 -> P2');
    expect(draft.markdown).toContain('Status: investigating -> resolved');
    expect(draft.markdown.split('\n')[0]).toBe(
      '# Incident: Vast.ai server errors (5xx)',
    );
    expect(draft.markdown).toContain('## Root Cause');
    expect(draft.markdown).toContain('| Action | Owner | Due date |');

    const saved = await service.savePostmortem(
      incident.id,
      `${draft.markdown}\nRoot cause: a rotated key ${CANARY}`,
      'user:default/bob',
    );
    expect(saved.saved).toBe(true);
    expect(saved.markdown).not.toContain(CANARY);
    expect((await service.postmortem(incident.id)).markdown).toBe(
      saved.markdown,
    );
  });
});
