import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { DEFAULT_REFRESH_INTERVAL_MS, useNow, useTriage } from '../../hooks';
import { branchLabel, formatAge } from '../common/format';
import { SeverityBadge } from '../common/SeverityBadge';
import { TriageErrorPanel } from '../common/TriageErrorPanel';
import { useCallback, useState } from 'react';
import { IncidentPanel } from '../Incidents';
import { RemediationPanel } from '../Remediation';
import { DecisionTree } from './DecisionTree';
import { LogsSection } from './LogsSection';
import { MetricsSection } from './MetricsSection';
import { PodsSection } from './PodsSection';
import { RefreshControl } from './RefreshControl';
import { SignalList } from './SignalList';

export interface VastaiIncidentContentProps {
  /** Auto-refresh period; 0 turns it off. Default 30 s. */
  refreshIntervalMs?: number;
}

/** Answers that no stale value can paper over: show them instead of the report. */
function isTerminal(error?: Error): boolean {
  return (
    !!error &&
    ResponseError.is(error) &&
    (error.statusCode === 403 || error.statusCode === 404)
  );
}

/** The "Vast.ai incident" tab: is it them or us, how bad, what now. */
export function VastaiIncidentContent(props: VastaiIncidentContentProps) {
  const intervalMs = props.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  const triage = useTriage({ intervalMs });
  const now = useNow();
  // One refresh button for the whole tab: the triage reads now, every section follows.
  const [refreshToken, setRefreshToken] = useState(0);
  const refreshTriage = triage.refresh;
  const refreshAll = useCallback(() => {
    refreshTriage();
    setRefreshToken(t => t + 1);
  }, [refreshTriage]);

  if (triage.loading && !triage.value) {
    return <Progress aria-label="Loading triage" />;
  }
  if (triage.error && (!triage.value || isTerminal(triage.error))) {
    return <TriageErrorPanel error={triage.error} />;
  }
  const report = triage.value;
  if (!report) {
    return <Progress />;
  }
  const reasons = Array.isArray(report.reasons) ? report.reasons : [];

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard
          title="Triage"
          subheader={
            report.integration
              ? `Integration: ${report.integration}`
              : undefined
          }
          action={
            <RefreshControl
              updatedAt={triage.updatedAt}
              now={now}
              refreshing={triage.refreshing}
              intervalMs={intervalMs}
              onRefresh={refreshAll}
            />
          }
        >
          {triage.error && (
            <Box mb={2}>
              <WarningPanel
                severity="warning"
                title="Refresh failed: showing the last report"
                message={triage.error.message}
              />
            </Box>
          )}
          <Box
            display="flex"
            alignItems="center"
            flexWrap="wrap"
            style={{ gap: 16 }}
          >
            <SeverityBadge severity={report.severity} />
            <Typography variant="h6" component="p" data-testid="vastai-verdict">
              {report.verdict || 'The backend gave no verdict.'}
            </Typography>
          </Box>
          <Box mt={2}>
            <Typography variant="body2">
              Branch:{' '}
              <strong data-testid="vastai-branch">
                {branchLabel(report.branch)}
              </strong>
              {report.generatedAt && (
                <> · triaged {formatAge(report.generatedAt, now)}</>
              )}
            </Typography>
          </Box>
          {reasons.length > 0 && (
            <Box mt={1}>
              <Typography variant="subtitle2">Why</Typography>
              <ul>
                {reasons.map((reason, index) => (
                  <li key={index}>
                    <Typography variant="body2">{reason}</Typography>
                  </li>
                ))}
              </ul>
            </Box>
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Runbook decision tree">
          <DecisionTree path={report.path} branch={report.branch} />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Signals">
          <SignalList signals={report.signals} now={now} />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Error rate and latency">
          <MetricsSection
            intervalMs={intervalMs > 0 ? intervalMs * 2 : 0}
            refreshToken={refreshToken}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Pods">
          <PodsSection
            now={now}
            intervalMs={intervalMs}
            refreshToken={refreshToken}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Recent error log lines">
          <LogsSection intervalMs={intervalMs} refreshToken={refreshToken} />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <RemediationPanel actions={report.actions} />
      </Grid>
      <Grid item xs={12}>
        <IncidentPanel report={report} />
      </Grid>
    </Grid>
  );
}

export default VastaiIncidentContent;
