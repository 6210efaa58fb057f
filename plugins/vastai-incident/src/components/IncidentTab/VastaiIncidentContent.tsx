import { InfoCard, Progress } from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import Grid from '@material-ui/core/Grid';
import { ReactNode, useCallback, useState } from 'react';
import { useTriage } from '../../hooks/useEntityResource';
import { useNow } from '../../hooks/useNow';
import { DEFAULT_REFRESH_INTERVAL_MS } from '../../hooks/usePolledResource';
import { TriageErrorPanel } from '../common/TriageErrorPanel';
import { IncidentPanel } from '../Incidents/IncidentPanel';
import { RemediationLauncherProvider } from '../Remediation/RemediationLauncher';
import { RemediationPanel } from '../Remediation/RemediationPanel';
import { DecisionTree } from './DecisionTree';
import { TabSectionId } from './JumpNav';
import { LogsSection } from './LogsSection';
import { MetricsSection } from './MetricsSection';
import { PodsSection } from './PodsSection';
import { RefreshControl } from './RefreshControl';
import { SignalList } from './SignalList';
import { TriageSummary } from './TriageSummary';

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

/** One full-width section of the tab, the target of its jump link. */
function Section(props: { id: TabSectionId; children: ReactNode }) {
  return (
    <Grid item xs={12} id={props.id} component="section">
      {props.children}
    </Grid>
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

  return (
    <RemediationLauncherProvider>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <TriageSummary
            report={report}
            now={now}
            refreshError={triage.error}
            incidentIntervalMs={intervalMs}
            action={
              <RefreshControl
                resource={triage}
                now={now}
                intervalMs={intervalMs}
                onRefresh={refreshAll}
              />
            }
          />
        </Grid>
        <Section id="vastai-section-tree">
          <InfoCard title="Runbook decision tree">
            <DecisionTree path={report.path} branch={report.branch} />
          </InfoCard>
        </Section>
        <Section id="vastai-section-signals">
          <InfoCard title="Signals">
            <SignalList signals={report.signals} now={now} />
          </InfoCard>
        </Section>
        <Section id="vastai-section-charts">
          <InfoCard title="Error rate and latency">
            <MetricsSection
              intervalMs={intervalMs > 0 ? intervalMs * 2 : 0}
              refreshToken={refreshToken}
            />
          </InfoCard>
        </Section>
        <Section id="vastai-section-pods">
          <InfoCard title="Pods">
            <PodsSection
              now={now}
              intervalMs={intervalMs}
              refreshToken={refreshToken}
            />
          </InfoCard>
        </Section>
        <Section id="vastai-section-logs">
          <InfoCard title="Recent error log lines">
            <LogsSection intervalMs={intervalMs} refreshToken={refreshToken} />
          </InfoCard>
        </Section>
        <Section id="vastai-section-remediation">
          <RemediationPanel actions={report.actions} />
        </Section>
        <Section id="vastai-section-incident">
          <IncidentPanel report={report} />
        </Section>
      </Grid>
    </RemediationLauncherProvider>
  );
}

export default VastaiIncidentContent;
