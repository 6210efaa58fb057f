import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import { useState } from 'react';
import {
  METRIC_RANGES,
  MetricQueryId,
  MetricRange,
} from '@vastai-incident/backstage-plugin-common';
import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { useEntityResource } from '../../hooks/useEntityResource';
import { ChoiceButtons } from './ChoiceButtons';
import { MetricChart } from './MetricChart';
import { SectionState } from './SectionState';

/** Charts move slowly (a step is a minute or more): poll them less often than the triage. */
export const METRICS_REFRESH_INTERVAL_MS = 60_000;

const CHARTS: Array<{ queryId: MetricQueryId; title: string }> = [
  { queryId: 'error-ratio', title: 'Error rate (share of calls failing)' },
  { queryId: 'p99-latency', title: 'Latency (p99 of calls to Vast.ai)' },
];

function QueryChart(props: {
  queryId: MetricQueryId;
  title: string;
  range: MetricRange;
  intervalMs?: number;
  refreshToken?: number;
}) {
  const { queryId, range } = props;
  const resource = useEntityResource(
    vastaiIncidentApiRef,
    (api, entity) => api.getMetricRange(entity, queryId, range),
    [queryId, range],
    { intervalMs: props.intervalMs, refreshToken: props.refreshToken },
  );
  return (
    <SectionState resource={resource} label={props.title.toLowerCase()}>
      {response => (
        <MetricChart
          title={props.title}
          response={response}
          testId={`vastai-chart-${queryId}`}
        />
      )}
    </SectionState>
  );
}

/** Error rate and latency over 1 h / 6 h / 24 h. */
export function MetricsSection(props: {
  intervalMs?: number;
  refreshToken?: number;
}) {
  const [range, setRange] = useState<MetricRange>('1h');
  return (
    <>
      <Box mb={2}>
        <ChoiceButtons
          label="Time range"
          options={METRIC_RANGES.map(r => ({ value: r, text: r }))}
          value={range}
          onChange={setRange}
        />
      </Box>
      <Grid container spacing={3}>
        {CHARTS.map(chart => (
          <Grid item xs={12} lg={6} key={chart.queryId}>
            <QueryChart
              {...chart}
              range={range}
              intervalMs={props.intervalMs}
              refreshToken={props.refreshToken}
            />
          </Grid>
        ))}
      </Grid>
    </>
  );
}
