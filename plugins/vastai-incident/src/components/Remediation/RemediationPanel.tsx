import { InfoCard } from '@backstage/core-components';
import {
  ACTION_IDS,
  RecommendedAction,
} from '@vastai-incident/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ListItemText from '@material-ui/core/ListItemText';
import Menu from '@material-ui/core/Menu';
import MenuItem from '@material-ui/core/MenuItem';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { actionLabel } from '../common/format';
import { knownActions, RecommendedActions } from './RecommendedActions';
import { RemediationHistory } from './RemediationHistory';
import {
  LastRunStatus,
  RemediationLauncherProvider,
  useRemediationLauncher,
} from './RemediationLauncher';

export interface RemediationPanelProps {
  /** The triage's recommended actions: shown as buttons; the rest sit behind "More actions". */
  actions?: RecommendedAction[];
  /** How often a running action is polled. Default 1.5 s. */
  pollIntervalMs?: number;
}

function PanelBody(props: {
  actions?: RecommendedAction[];
  /** The tab shows the run's state in its summary instead. */
  showLastRun: boolean;
}) {
  const launcher = useRemediationLauncher()!;
  const recommendedIds = new Set(knownActions(props.actions).map(a => a.id));
  const others = ACTION_IDS.filter(id => !recommendedIds.has(id));
  const [menuAnchor, setMenuAnchor] = useState<HTMLElement | null>(null);

  const gates = ACTION_IDS.map(id => launcher.gateOf(id));
  // When nothing may be run here, say so once, visibly, without opening the menu.
  const allDenied = gates.every(g => !g.allowed && !g.loading);

  return (
    <InfoCard
      title="Remediation"
      subheader="Dry run first; nothing changes until you confirm"
    >
      <Box data-testid="vastai-remediation">
        <RecommendedActions
          actions={props.actions}
          testIdPrefix="vastai-remediation"
        />
        {allDenied && (
          <Typography
            variant="body2"
            style={{ marginTop: 8 }}
            data-testid="vastai-remediation-denied-summary"
          >
            <strong>You cannot run remediations on this entity.</strong>{' '}
            {gates.find(g => g.reason)?.reason}
          </Typography>
        )}
        <Box mt={1}>
          <Button
            variant="outlined"
            size="small"
            aria-haspopup="true"
            aria-controls="vastai-remediation-more"
            onClick={e => setMenuAnchor(e.currentTarget)}
            data-testid="vastai-remediation-more"
          >
            More actions
          </Button>
          <Menu
            id="vastai-remediation-more"
            anchorEl={menuAnchor}
            keepMounted={false}
            open={!!menuAnchor}
            onClose={() => setMenuAnchor(null)}
          >
            {others.map(id => {
              const gate = launcher.gateOf(id);
              return (
                <MenuItem
                  key={id}
                  disabled={!gate.allowed}
                  onClick={() => {
                    setMenuAnchor(null);
                    launcher.start(id);
                  }}
                  data-testid={`vastai-remediation-menu-${id}`}
                >
                  <ListItemText
                    primary={`${actionLabel(id)}…`}
                    secondary={gate.reason}
                  />
                </MenuItem>
              );
            })}
          </Menu>
        </Box>
        {props.showLastRun && (
          <LastRunStatus testId="vastai-remediation-last-run" />
        )}
        <Box mt={3}>
          <Typography variant="subtitle1" component="h3">
            History
          </Typography>
          <RemediationHistory refreshToken={launcher.historyToken} />
        </Box>
      </Box>
    </InfoCard>
  );
}

/**
 * Run the runbook's remediations on this entity: dry run, confirm, apply, verify; and the
 * record of every earlier try. Inside a {@link RemediationLauncherProvider} it shares that
 * provider's dialog and run; alone it brings its own.
 */
export function RemediationPanel(props: RemediationPanelProps) {
  const shared = useRemediationLauncher();
  if (shared) return <PanelBody actions={props.actions} showLastRun={false} />;
  return (
    <RemediationLauncherProvider pollIntervalMs={props.pollIntervalMs}>
      <PanelBody actions={props.actions} showLastRun />
    </RemediationLauncherProvider>
  );
}
