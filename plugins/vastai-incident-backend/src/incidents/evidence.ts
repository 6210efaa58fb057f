import type {
  Incident,
  LogsResponse,
  MetricQueryId,
  MetricRangeResponse,
  TimelineEvent,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import { METRIC_QUERY_IDS } from '@vastai-incident/backstage-plugin-common';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { describeUpstreamError } from '../upstream';

/** A fixed range query window: unix seconds, `end` and `start` on the step. */
export interface MetricWindow {
  start: number;
  end: number;
  stepSeconds: number;
}

/** Where the evidence comes from; each may fail, which is written into the bundle, not thrown. */
export interface EvidenceSources {
  triage(): Promise<TriageReport | undefined>;
  /** Error lines of the last `sinceMinutes` (the bundle keeps those of the window). */
  logs(sinceMinutes: number): Promise<LogsResponse>;
  /** A named query over the window itself, however long ago it was. */
  metricRange(
    queryId: MetricQueryId,
    window: MetricWindow,
  ): Promise<MetricRangeResponse>;
  /** The remediation audit rows of the entity (from the actions module), if it is present. */
  auditRows?(): Promise<unknown[]>;
  /** The integration's configuration with secrets already removed. */
  redactedConfig(): unknown;
  versions(): Record<string, string>;
}

export interface EvidenceLimits {
  /** One file's size at most, uncompressed; larger ones are cut with a note. */
  maxFileBytes: number;
  /** The .tar.gz at most; larger fails the build. */
  maxBundleBytes: number;
}

export const DEFAULT_EVIDENCE_LIMITS: EvidenceLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxBundleBytes: 10 * 1024 * 1024,
};

/** At most this many points per series over an incident's window. */
const MAX_WINDOW_POINTS = 720;
const MIN_STEP_SECONDS = 15;

/**
 * The range query over [fromMs, toMs], wherever it lies in time: the step grows with the window
 * (15 s at least, whole minutes beyond, about 720 points at most) and the bounds are widened to
 * the step, so the window's edges are inside.
 */
export function metricWindow(fromMs: number, toMs: number): MetricWindow {
  const from = Math.floor(fromMs / 1000);
  const to = Math.ceil(Math.max(toMs, fromMs) / 1000);
  let stepSeconds = Math.max(
    MIN_STEP_SECONDS,
    Math.ceil((to - from) / MAX_WINDOW_POINTS / MIN_STEP_SECONDS) *
      MIN_STEP_SECONDS,
  );
  if (stepSeconds > 60) stepSeconds = Math.ceil(stepSeconds / 60) * 60;
  return {
    start: Math.floor(from / stepSeconds) * stepSeconds,
    end: Math.ceil(to / stepSeconds) * stepSeconds,
    stepSeconds,
  };
}

/**
 * The incident's evidence window: from `leadMs` before the declaration (the trouble starts
 * before someone declares it) to the resolution, or now while it is open.
 */
export function incidentWindow(
  incident: Incident,
  leadMs: number,
  now: number,
): { fromMs: number; toMs: number } {
  const declared = Date.parse(incident.declaredAt);
  return {
    fromMs: declared - leadMs,
    toMs: incident.resolvedAt ? Date.parse(incident.resolvedAt) : now,
  };
}

/** Kubernetes keeps the logs of the pods' current containers only; never ask for more than a week. */
const MAX_LOG_MINUTES = 7 * 24 * 60;

/** Keeps only the points inside [fromSec, toSec]. */
export function clipToWindow(
  response: MetricRangeResponse,
  fromSec: number,
  toSec: number,
): MetricRangeResponse {
  return {
    ...response,
    series: response.series.map(s => ({
      ...s,
      points: s.points.filter(([t]) => t >= fromSec && t <= toSec),
    })),
  };
}

const csvCell = (value: string) =>
  /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

/** One row per (series, point): time, labels, value (empty = no data). */
export function metricCsv(response: MetricRangeResponse): string {
  const labelNames = [
    ...new Set(response.series.flatMap(s => Object.keys(s.labels))),
  ].sort();
  const rows = [['time', 'unix', ...labelNames, 'value'].join(',')];
  for (const series of response.series) {
    for (const [t, v] of series.points) {
      rows.push(
        [
          new Date(t * 1000).toISOString(),
          String(t),
          ...labelNames.map(n => csvCell(series.labels[n] ?? '')),
          v === null ? '' : String(v),
        ].join(','),
      );
    }
  }
  return `${rows.join('\n')}\n`;
}

export function timelineMarkdown(
  incident: Incident,
  timeline: TimelineEvent[],
): string {
  return [
    `# Timeline of "${incident.title}" (${incident.severity}, ${incident.status})`,
    '',
    '| time (UTC) | kind | who | what |',
    '|---|---|---|---|',
    ...timeline.map(
      e =>
        `| ${e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} | ${e.kind} | ${
          e.actor ?? ''
        } | ${e.summary.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
    '',
  ].join('\n');
}

export interface BuildEvidenceOptions {
  incident: Incident;
  timeline: TimelineEvent[];
  sources: EvidenceSources;
  redact: (text: string) => string;
  limits?: Partial<EvidenceLimits>;
  onProgress?: (progress: number) => Promise<void> | void;
  now?: number;
  /** How long before the declaration the window opens; default 15 minutes. */
  leadMs?: number;
}

/**
 * Builds the evidence bundle: every file is redacted and size-bounded before it is packed.
 * A source that fails becomes an `errors.json` entry, never a failed bundle.
 */
export async function buildEvidenceBundle(
  options: BuildEvidenceOptions,
): Promise<Buffer> {
  const { incident, sources, redact } = options;
  const limits = { ...DEFAULT_EVIDENCE_LIMITS, ...options.limits };
  const now = options.now ?? Date.now();
  const { fromMs: windowStartMs, toMs } = incidentWindow(
    incident,
    options.leadMs ?? 15 * 60_000,
    now,
  );
  const files: Array<{ name: string; content: string }> = [];
  const errors: Array<{ source: string; reason: string }> = [];
  const progress = async (value: number) => {
    await options.onProgress?.(value);
  };
  const add = (name: string, content: string) => {
    let text = redact(content);
    if (Buffer.byteLength(text) > limits.maxFileBytes) {
      text = `${Buffer.from(text)
        .subarray(0, limits.maxFileBytes)
        .toString('utf8')}\n… cut at ${limits.maxFileBytes} bytes\n`;
    }
    files.push({ name, content: text });
  };
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const attempt = async <T>(source: string, read: () => Promise<T>) => {
    try {
      return await read();
    } catch (error) {
      errors.push({ source, reason: describeUpstreamError(error) });
      return undefined;
    }
  };

  await progress(5);
  const triage = await attempt('triage', () => sources.triage());
  if (triage) {
    add('triage/triage-report.json', json(triage));
    add(
      'vendor-status/vendor-status.json',
      json(triage.signals.filter(s => s.source === 'vendor-status')),
    );
  }
  await progress(20);

  // Logs are read back from now to the window's start, then cut to the window: lines after
  // the resolution are not the incident's.
  const sinceMinutes = Math.min(
    MAX_LOG_MINUTES,
    Math.max(1, Math.ceil((now - windowStartMs) / 60_000)),
  );
  const read = await attempt('logs', () => sources.logs(sinceMinutes));
  const logs = read && {
    ...read,
    lines: read.lines.filter(line => {
      const at = line.time ? Date.parse(line.time) : NaN;
      // A line without a readable time cannot be placed: kept, as the reader found it.
      return Number.isNaN(at) || (at >= windowStartMs && at <= toMs);
    }),
  };
  if (logs) {
    add('logs/error-lines.json', json(logs));
    add(
      'logs/error-lines.log',
      `${logs.lines
        .map(l => `${l.time ?? '-'} ${l.pod} ${l.text}`)
        .join('\n')}\n`,
    );
  }
  await progress(35);

  const range = metricWindow(windowStartMs, toMs);
  let done = 0;
  for (const queryId of METRIC_QUERY_IDS) {
    const response = await attempt(`metrics:${queryId}`, () =>
      sources.metricRange(queryId, range),
    );
    if (response) {
      const clipped = clipToWindow(
        response,
        Math.floor(windowStartMs / 1000),
        Math.ceil(toMs / 1000),
      );
      add(`metrics/${queryId}.json`, json(clipped));
      add(`metrics/${queryId}.csv`, metricCsv(clipped));
    }
    done++;
    await progress(35 + (done / METRIC_QUERY_IDS.length) * 40);
  }

  add('incident/incident.json', json(incident));
  add('incident/timeline.json', json(options.timeline));
  add('incident/timeline.md', timelineMarkdown(incident, options.timeline));
  if (sources.auditRows) {
    const rows = await attempt('audit', () => sources.auditRows!());
    if (rows) add('incident/audit.json', json(rows));
  }
  add('config/integration.redacted.json', json(sources.redactedConfig()));
  add('versions.json', json(sources.versions()));
  await progress(85);

  if (errors.length) add('errors.json', json(errors));
  add(
    'MANIFEST.json',
    json({
      incidentId: incident.id,
      entityRef: incident.entityRef,
      window: {
        from: new Date(windowStartMs).toISOString(),
        to: new Date(toMs).toISOString(),
      },
      generatedAt: new Date(now).toISOString(),
      files: files.map(f => ({
        name: f.name,
        bytes: Buffer.byteLength(f.content),
      })),
      note: 'Secrets are redacted; the Slack webhook URL and API keys are never included.',
    }),
  );

  const pack = tar.pack();
  const prefix = `incident-${incident.id}`;
  const chunks: Buffer[] = [];
  let size = 0;
  const gzip = zlib.createGzip();
  const collect = (async () => {
    for await (const chunk of gzip as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limits.maxBundleBytes) {
        throw new Error(
          `evidence bundle exceeds ${limits.maxBundleBytes} bytes`,
        );
      }
      chunks.push(chunk);
    }
  })();
  const packing = pipeline(pack, gzip);
  for (const file of files) {
    pack.entry(
      { name: `${prefix}/${file.name}`, mtime: new Date(now), mode: 0o644 },
      file.content,
    );
  }
  pack.finalize();
  await Promise.all([packing, collect]);
  await progress(95);
  return Buffer.concat(chunks);
}

/** Reads a .tar.gz into a map of file name to content (tests, and the download's own check). */
export async function readTarGz(buffer: Buffer): Promise<Map<string, string>> {
  const extract = tar.extract();
  const files = new Map<string, string>();
  const reading = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      files.set(entry.header.name, Buffer.concat(parts).toString('utf8'));
    }
  })();
  await pipeline(Readable.from([buffer]), zlib.createGunzip(), extract);
  await reading;
  return files;
}
