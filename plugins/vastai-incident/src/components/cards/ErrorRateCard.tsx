import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import { MetricsValue } from '@internal/plugin-vastai-incident-common';
import { vastaiIncidentApiRef } from '../../api';
import { usePolledResource } from '../../hooks';
import { formatPercent } from '../common/format';
import { findSignal, TriageCard } from './TriageCard';
import { SignalSummary } from './SignalSummary';
import { Sparkline } from './Sparkline';

function ErrorRatioLastHour() {
  const { entity } = useEntity();
  const api = useApi(vastaiIncidentApiRef);
  const ref = getCompoundEntityRef(entity);
  const range = usePolledResource(
    () => api.getMetricRange(ref, 'error-ratio', '1h'),
    [api, ref.kind, ref.namespace, ref.name],
    { intervalMs: 60_000 },
  );
  if (!range.value) {
    // The current value above is the essential part; the line is a bonus.
    return range.error ? (
      <Typography variant="caption" color="textSecondary">
        Last hour unavailable: {range.error.message}
      </Typography>
    ) : null;
  }
  const { reason, stale } = range.value;
  return (
    <>
      <Sparkline
        series={range.value.series?.[0]}
        threshold={range.value.threshold}
        label="Error ratio over the last hour"
      />
      {(reason || stale) && (
        <Typography variant="caption" display="block" color="textSecondary">
          {stale ? 'Stale: last known answer. ' : ''}
          {reason ?? ''}
        </Typography>
      )}
    </>
  );
}

/** How many of our calls to Vast.ai fail, now and over the last hour. */
export function ErrorRateCard() {
  return (
    <TriageCard title="Error rate">
      {(report, now) => {
        const metrics = findSignal<MetricsValue>(report, 'metrics');
        const ratio = metrics?.value?.errorRatio;
        return (
          <>
            <Typography
              variant="h4"
              component="p"
              aria-label="Current error ratio"
            >
              {formatPercent(ratio)}
            </Typography>
            <SignalSummary signal={metrics} now={now} label="Metrics" />
            <ErrorRatioLastHour />
          </>
        );
      }}
    </TriageCard>
  );
}

export default ErrorRateCard;
