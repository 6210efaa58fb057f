import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { useEffect, useRef, useState } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { MetricRangeResponse } from '@vastai-incident/backstage-plugin-common';
import {
  axisTicks,
  formatAxisTime,
  formatMetricValue,
  toChartModel,
} from './chartData';

const HEIGHT = 220;

/** A point with a value whose neighbours have none (or do not exist). */
function isolated(points: Array<{ v: number | null }>, i: number): boolean {
  if (points[i]?.v === null || points[i]?.v === undefined) return false;
  const before = points[i - 1]?.v;
  const after = points[i + 1]?.v;
  return (
    (before === null || before === undefined) &&
    (after === null || after === undefined)
  );
}
const DASHES = [undefined, '6 3', '2 2', '8 3 2 3'];

/** The width of an element, following resizes (a default where nothing measures, as in tests). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return undefined;
    const observer = new ResizeObserver(entries => {
      const measured = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/**
 * One named query over a range: a real time axis from the range's start to its
 * end (local time labels), gaps where there is no sample, and the runbook's
 * threshold as a labelled reference line.
 */
export function MetricChart(props: {
  title: string;
  response: MetricRangeResponse;
  testId: string;
}) {
  const theme = useTheme();
  const { ref, width } = useWidth(560);
  const { response } = props;
  const model = toChartModel(response);
  const unit = response?.unit;
  const withDay = model.domain[1] - model.domain[0] > 12 * 3600_000;
  const format = (v: number) => formatMetricValue(v, unit);
  const thresholdText =
    model.threshold !== undefined
      ? `runbook threshold ${format(model.threshold)}`
      : 'no threshold';
  const summary =
    model.valuePoints === 0
      ? `${props.title}: no data in this range.`
      : `${props.title}: latest ${format(model.latest!)}, ${thresholdText}, ${
          model.gaps
        } gap${model.gaps === 1 ? '' : 's'} without data.`;
  const colors = [
    theme.palette.primary.main,
    theme.palette.secondary.main,
    theme.palette.warning.main,
    theme.palette.info.main,
  ];

  return (
    <Box
      data-testid={props.testId}
      data-points={model.valuePoints}
      data-gaps={model.gaps}
    >
      <Typography variant="subtitle1" component="h3">
        {props.title}
      </Typography>
      <div ref={ref}>
        {model.valuePoints === 0 ? (
          <Box
            role="img"
            aria-label={summary}
            height={HEIGHT}
            display="flex"
            alignItems="center"
            justifyContent="center"
            border={1}
            borderColor="divider"
            style={{ borderStyle: 'dashed' }}
          >
            <Typography variant="body2" color="textSecondary">
              No data for this range
              {response?.reason ? `: ${response.reason}` : '.'}
            </Typography>
          </Box>
        ) : (
          <div role="img" aria-label={summary}>
            <LineChart
              width={width}
              height={HEIGHT}
              margin={{ top: 16, right: 24, bottom: 0, left: 8 }}
            >
              <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
              <XAxis
                dataKey="t"
                type="number"
                scale="time"
                domain={model.domain}
                ticks={axisTicks(model.domain, withDay ? 5 : 7)}
                tickFormatter={t => formatAxisTime(t, withDay)}
                allowDataOverflow
                stroke={theme.palette.text.secondary}
                fontSize={12}
              />
              <YAxis
                tickFormatter={format}
                width={64}
                domain={[0, 'auto']}
                stroke={theme.palette.text.secondary}
                fontSize={12}
              />
              <Tooltip
                labelFormatter={t => formatAxisTime(Number(t), true)}
                formatter={(v: number) => format(v)}
              />
              {model.threshold !== undefined && (
                <ReferenceLine
                  y={model.threshold}
                  ifOverflow="extendDomain"
                  stroke={theme.palette.error.main}
                  strokeDasharray="8 4"
                  label={{
                    value: thresholdText,
                    position: 'insideTopRight',
                    fill: theme.palette.text.primary,
                    fontSize: 12,
                  }}
                />
              )}
              {model.series.map((s, index) => (
                <Line
                  key={s.name}
                  name={s.name}
                  data={s.points}
                  dataKey="v"
                  type="linear"
                  // Null points break the line: a gap is missing data, not zero.
                  connectNulls={false}
                  // A sample with no neighbour draws no line: give it a dot.
                  dot={(dot: {
                    key?: string;
                    index: number;
                    cx?: number;
                    cy?: number;
                  }) =>
                    isolated(s.points, dot.index) && dot.cx !== undefined ? (
                      <circle
                        key={dot.key ?? dot.index}
                        cx={dot.cx}
                        cy={dot.cy}
                        r={3}
                        fill={colors[index % colors.length]}
                      />
                    ) : (
                      <g key={dot.key ?? dot.index} />
                    )
                  }
                  isAnimationActive={false}
                  stroke={colors[index % colors.length]}
                  strokeDasharray={DASHES[index % DASHES.length]}
                  strokeWidth={2}
                />
              ))}
            </LineChart>
          </div>
        )}
      </div>
      <Typography variant="caption" color="textSecondary" component="p">
        {summary}
        {response?.stale
          ? ` Stale: the last answer Prometheus gave${
              response.ageSeconds !== undefined
                ? `, ${Math.round(response.ageSeconds)} s old`
                : ''
            }${response.reason ? ` (${response.reason})` : ''}.`
          : ''}
        {model.series.length > 1
          ? ` Series: ${model.series.map(s => s.name).join('; ')}.`
          : ''}
      </Typography>
    </Box>
  );
}
