import { stringifyEntityRef } from '@backstage/catalog-model';
import { InfoCard, WarningPanel } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import type {
  Incident,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import { useOpenIncident } from '../../hooks/useIncidents';
import { ActionRow } from '../common/ActionRow';
import { branchLabel, formatAge } from '../common/format';
import { SeverityBadge } from '../common/SeverityBadge';
import { ResponseClock } from '../Incidents/IncidentSummary';
import { RecommendedActions } from '../Remediation/RecommendedActions';
import { LastRunStatus } from '../Remediation/RemediationLauncher';
import { JumpNav } from './JumpNav';
import { RunbookLinks } from './RunbookLinks';

export interface TriageSummaryProps {
  report: TriageReport;
  now: number;
  /** The last refresh failed: the report shown is the previous one. */
  refreshError?: Error;
  /** The refresh control, in the card's header. */
  action: ReactNode;
  /** How often the open incident is re-read; 0 turns it off. */
  incidentIntervalMs: number;
}

function OpenIncidentLine(props: { incident?: Incident }) {
  const { incident } = props;
  if (!incident) return null;
  return (
    <Box mt={1} data-testid="vastai-summary-incident">
      <Typography variant="body2" component="p">
        Open incident {incident.severity}:{' '}
        <Link underline="always" href="#vastai-section-incident">
          {incident.title}
        </Link>
      </Typography>
      <ResponseClock incident={incident} testId="vastai-summary-clock" />
    </Box>
  );
}

/**
 * The top of the tab, sized to fit a laptop screen without scrolling: how bad, whose fault,
 * the open incident's clock and what to do now, then the reasons and links to the detail.
 */
export function TriageSummary(props: TriageSummaryProps) {
  const { report, now } = props;
  const { entity } = useEntity();
  const incident = useOpenIncident(
    stringifyEntityRef(entity),
    props.incidentIntervalMs,
  );
  const reasons = Array.isArray(report.reasons) ? report.reasons : [];
  return (
    <Box data-testid="vastai-summary">
      <InfoCard
        title="Triage"
        subheader={
          report.integration ? `Integration: ${report.integration}` : undefined
        }
        action={props.action}
      >
        {props.refreshError && (
          <Box mb={2}>
            <WarningPanel
              severity="warning"
              title="Refresh failed: showing the last report"
              message={props.refreshError.message}
            />
          </Box>
        )}
        <ActionRow gap={16}>
          <SeverityBadge severity={report.severity} />
          <Typography variant="h6" component="p" data-testid="vastai-verdict">
            {report.verdict || 'The backend gave no verdict.'}
          </Typography>
        </ActionRow>
        <OpenIncidentLine incident={incident} />
        <Box mt={2} component="section" aria-labelledby="vastai-what-now">
          <Typography variant="subtitle2" component="h3" id="vastai-what-now">
            What now
          </Typography>
          <RecommendedActions
            actions={report.actions}
            testIdPrefix="vastai-summary"
          />
          <LastRunStatus testId="vastai-summary-last-run" />
        </Box>
        <Box mt={1}>
          <JumpNav />
        </Box>
        <Box mt={1}>
          <RunbookLinks links={report.links} openIncident={incident} />
        </Box>
        <Box mt={1}>
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
            <Typography variant="subtitle2" component="h3">
              Why
            </Typography>
            <ul style={{ marginTop: 0 }}>
              {reasons.map((reason, index) => (
                <li key={index}>
                  <Typography variant="body2">{reason}</Typography>
                </li>
              ))}
            </ul>
          </Box>
        )}
      </InfoCard>
    </Box>
  );
}
