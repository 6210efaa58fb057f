import {
  MetricRangeResponse,
  MetricSeries,
} from '@vastai-incident/backstage-plugin-common';

export interface ChartPoint {
  /** ms since the epoch (recharts' time axis). */
  t: number;
  /** null = no sample: drawn as a gap, never as zero. */
  v: number | null;
}

export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

export interface ChartModel {
  /** The range's start..end in ms: the axis spans it even where data is missing. */
  domain: [number, number];
  series: ChartSeries[];
  /** Points with a value, over all series. */
  valuePoints: number;
  /** Runs of missing points between or around values. */
  gaps: number;
  latest?: number;
  threshold?: number;
}

function seriesName(series: MetricSeries, index: number): string {
  const labels = series?.labels ?? {};
  const parts = Object.entries(labels)
    .filter(([k]) => k !== '__name__' && k !== 'job' && k !== 'instance')
    .map(([k, v]) => `${k}=${v}`);
  return parts.join(', ') || (index === 0 ? 'value' : `series ${index + 1}`);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A range response as chart series; tolerant of holes in a partial answer. */
export function toChartModel(response: MetricRangeResponse): ChartModel {
  const startMs = finite(response?.start) ? response.start * 1000 : NaN;
  const endMs = finite(response?.end) ? response.end * 1000 : NaN;
  const series: ChartSeries[] = (
    Array.isArray(response?.series) ? response.series : []
  )
    .filter(Boolean)
    .map((s, index) => ({
      name: seriesName(s, index),
      points: (Array.isArray(s.points) ? s.points : [])
        .filter(p => Array.isArray(p) && finite(p[0]))
        .map(([t, v]) => ({ t: t * 1000, v: finite(v) ? v : null }))
        .sort((a, b) => a.t - b.t),
    }));

  let valuePoints = 0;
  let gaps = 0;
  let latest: { t: number; v: number } | undefined;
  for (const s of series) {
    let inGap = false;
    for (const p of s.points) {
      if (p.v === null) {
        if (!inGap) gaps += 1;
        inGap = true;
      } else {
        inGap = false;
        valuePoints += 1;
        if (!latest || p.t >= latest.t) latest = { t: p.t, v: p.v };
      }
    }
  }
  const allTimes = series.flatMap(s => s.points.map(p => p.t));
  const domain: [number, number] = [
    Number.isNaN(startMs) ? Math.min(...allTimes, Date.now()) : startMs,
    Number.isNaN(endMs) ? Math.max(...allTimes, Date.now()) : endMs,
  ];
  return {
    domain,
    series,
    valuePoints,
    gaps,
    latest: latest?.v,
    threshold: finite(response?.threshold) ? response.threshold : undefined,
  };
}

/** A value in the query's unit, for axes, tooltips and summaries. */
export function formatMetricValue(
  value: number | null | undefined,
  unit: string | undefined,
): string {
  if (!finite(value)) return 'no data';
  switch (unit) {
    case 'ratio': {
      const percent = value * 100;
      return `${percent.toFixed(percent >= 10 || percent === 0 ? 0 : 1)} %`;
    }
    case 'seconds':
      return value >= 1
        ? `${value.toFixed(1)} s`
        : `${Math.round(value * 1000)} ms`;
    case 'per-minute':
      return `${value.toFixed(value >= 10 ? 0 : 1)}/min`;
    default:
      return String(value);
  }
}

/** Local clock time for the axis: "14:05", with the day for the 24 h range. */
export function formatAxisTime(ms: number, withDay: boolean): string {
  const date = new Date(ms);
  const time = date.toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
  });
  if (!withDay) return time;
  return `${date.toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
  })} ${time}`;
}

/** Evenly spaced ticks across the whole domain, so the axis spans it even with no data. */
export function axisTicks(domain: [number, number], count = 6): number[] {
  const [a, b] = domain;
  if (!(b > a)) return [a];
  const step = (b - a) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(a + i * step));
}
