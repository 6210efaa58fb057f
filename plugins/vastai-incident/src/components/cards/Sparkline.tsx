import Typography from '@material-ui/core/Typography';
import { MetricSeries } from '@vastai-incident/backstage-plugin-common';

/**
 * A tiny line of one series, drawn as SVG (no chart library in a card).
 * Gaps (null points) break the line instead of being drawn as zero.
 */
export function Sparkline(props: {
  series?: MetricSeries;
  threshold?: number;
  width?: number;
  height?: number;
  label: string;
}) {
  const width = props.width ?? 240;
  const height = props.height ?? 48;
  const points = props.series?.points ?? [];
  const values = points
    .map(([, v]) => v)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (points.length < 2 || values.length === 0) {
    // Say so: an empty space would read as "nothing happened".
    return (
      <Typography variant="caption" color="textSecondary" display="block">
        {props.label}:{' '}
        {values.length === 0 ? 'no data' : 'not enough data to draw'}.
      </Typography>
    );
  }
  const t0 = points[0][0];
  const t1 = points[points.length - 1][0];
  const max = Math.max(...values, props.threshold ?? 0) || 1;
  const x = (t: number) => ((t - t0) / (t1 - t0 || 1)) * width;
  const y = (v: number) => height - (v / max) * height;
  const segments: string[] = [];
  let current = '';
  for (const [t, v] of points) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      if (current) segments.push(current);
      current = '';
      continue;
    }
    current += `${current ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
  }
  if (current) segments.push(current);
  return (
    <svg width={width} height={height} role="img" aria-label={props.label}>
      {props.threshold !== undefined && (
        <line
          x1={0}
          x2={width}
          y1={y(props.threshold)}
          y2={y(props.threshold)}
          stroke="currentColor"
          strokeDasharray="4 4"
          opacity={0.5}
        />
      )}
      {segments.map((d, i) => (
        <path
          key={i}
          d={d}
          fill="none"
          stroke="currentColor"
          strokeWidth={1.5}
        />
      ))}
    </svg>
  );
}
