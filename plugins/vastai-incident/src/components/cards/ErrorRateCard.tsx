import Typography from '@material-ui/core/Typography';
import { MetricsValue, Signal } from '@vastai-incident/backstage-plugin-common';
import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { useEntityResource } from '../../hooks/useEntityResource';
import { formatPercent } from '../common/format';
import { findSignal, TriageCard } from './TriageCard';
import { SignalSummary } from './SignalSummary';
import { Sparkline } from './Sparkline';

function ErrorRatioLastHour() {
  const range = useEntityResource(
    vastaiIncidentApiRef,
    (api, entity) => api.getMetricRange(entity, 'error-ratio', '1h'),
    [],
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

/**
 * The error ratio if it was measured, else why not: a failed scrape reads as no errors at
 * all, so a number is shown only when the scrape is up and the signal is known.
 */
export function measuredErrorRatio(
  metrics?: Signal<MetricsValue>,
): { ratio: number } | { unknownBecause: string } {
  if (!metrics) return { unknownBecause: 'no metrics signal was reported' };
  const ratio = metrics.value?.errorRatio;
  if (metrics.notConfigured) {
    return { unknownBecause: 'no metrics source is configured' };
  }
  if (metrics.value?.scrapeUp === false) {
    return {
      unknownBecause:
        metrics.reason ?? "the integration's metrics scrape is failing",
    };
  }
  if (metrics.state === 'unknown') {
    return {
      unknownBecause: metrics.reason ?? 'the metrics could not be read',
    };
  }
  if (typeof ratio !== 'number' || !Number.isFinite(ratio)) {
    return { unknownBecause: metrics.reason ?? 'no calls were measured' };
  }
  return { ratio };
}

/** How many of our calls to Vast.ai fail, now and over the last hour. */
export function ErrorRateCard() {
  return (
    <TriageCard title="Error rate">
      {(report, now) => {
        const metrics = findSignal<MetricsValue>(report, 'metrics');
        const measured = measuredErrorRatio(metrics);
        return (
          <>
            <Typography
              variant="h4"
              component="p"
              aria-label="Current error ratio"
              data-testid="vastai-error-ratio"
            >
              {'ratio' in measured ? formatPercent(measured.ratio) : 'unknown'}
            </Typography>
            {'unknownBecause' in measured && (
              <Typography
                variant="body2"
                data-testid="vastai-error-ratio-unknown"
              >
                Not measured: {measured.unknownBecause}.
              </Typography>
            )}
            <SignalSummary signal={metrics} now={now} label="Metrics" />
            <ErrorRatioLastHour />
          </>
        );
      }}
    </TriageCard>
  );
}

export default ErrorRateCard;
