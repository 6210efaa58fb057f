import { Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useLocation } from 'react-router-dom';
import { SeverityBadge } from '../common/SeverityBadge';
import { RecommendedActions } from '../Remediation/RecommendedActions';
import {
  LastRunStatus,
  RemediationLauncherProvider,
} from '../Remediation/RemediationLauncher';
import { TriageCard } from './TriageCard';

/** The tab's path from the entity page this card is on (the Overview is the entity's root). */
export function incidentTabPath(pathname: string): string {
  const base = pathname.replace(/\/+$/, '');
  return base.endsWith('/vastai-incident') ? base : `${base}/vastai-incident`;
}

/**
 * The tab's answer on the Overview: severity, verdict and the first recommended action, run
 * through the same permission-gated dialog as the tab.
 */
export function TriageSummaryCard() {
  const { pathname } = useLocation();
  return (
    <TriageCard title="Vast.ai incident triage">
      {report => (
        <RemediationLauncherProvider>
          <Box
            display="flex"
            flexWrap="wrap"
            alignItems="center"
            style={{ gap: 12 }}
          >
            <SeverityBadge
              severity={report.severity}
              testId="vastai-card-severity"
            />
            <Typography
              variant="subtitle1"
              component="p"
              data-testid="vastai-card-verdict"
            >
              {report.verdict || 'The backend gave no verdict.'}
            </Typography>
          </Box>
          <Box mt={2}>
            <RecommendedActions
              actions={report.actions}
              testIdPrefix="vastai-card"
              limit={1}
            />
            <LastRunStatus testId="vastai-card-last-run" />
          </Box>
          <Typography variant="body2" style={{ marginTop: 8 }}>
            <Link to={incidentTabPath(pathname)}>
              Open the Vast.ai incident tab
            </Link>{' '}
            for the decision tree, signals, pods, logs and the incident.
          </Typography>
        </RemediationLauncherProvider>
      )}
    </TriageCard>
  );
}

export default TriageSummaryCard;
