import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  ACTION_IDS,
  ActionId,
  RecommendedAction,
} from '@internal/plugin-vastai-incident-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ListItemText from '@material-ui/core/ListItemText';
import Menu from '@material-ui/core/Menu';
import MenuItem from '@material-ui/core/MenuItem';
import Typography from '@material-ui/core/Typography';
import { useCallback, useMemo, useState } from 'react';
import {
  ActionRun,
  isFinalRun,
  useRemediationClient,
} from '../../api/RemediationClient';
import { actionLabel } from '../common/format';
import { outcomeOf } from './labels';
import { RemediationDialog } from './RemediationDialog';
import { RemediationHistory } from './RemediationHistory';
import { ActionGate, useActionPermissions } from './useActionPermissions';

export interface RemediationPanelProps {
  /** The triage's recommended actions: shown as buttons; the rest sit behind "More actions". */
  actions?: RecommendedAction[];
  /** How often a running action is polled. Default 1.5 s. */
  pollIntervalMs?: number;
}

function ActionButton(props: {
  actionId: ActionId;
  gate: ActionGate;
  why?: string;
  onRun: (id: ActionId) => void;
}) {
  const { actionId, gate, why } = props;
  const reasonId = `vastai-remediation-reason-${actionId}`;
  return (
    <li data-action-id={actionId} style={{ marginBottom: 12 }}>
      <Box
        display="flex"
        alignItems="baseline"
        flexWrap="wrap"
        style={{ gap: 12 }}
      >
        <Button
          variant="contained"
          color="primary"
          size="small"
          disabled={!gate.allowed}
          onClick={() => props.onRun(actionId)}
          aria-describedby={reasonId}
          data-testid={`vastai-remediation-button-${actionId}`}
        >
          {/* The ellipsis says a dialog follows (a dry run first): nothing runs on this click. */}
          {actionLabel(actionId)}…
        </Button>
        <Box id={reasonId} style={{ flex: '1 1 240px' }}>
          {why && <Typography variant="body2">{`Why: ${why}`}</Typography>}
          {gate.reason && (
            <Typography
              variant="body2"
              color="textSecondary"
              data-testid={`vastai-remediation-denied-${actionId}`}
            >
              {gate.reason}
            </Typography>
          )}
        </Box>
      </Box>
    </li>
  );
}

/**
 * Run the runbook's remediations on this entity: dry run, confirm, apply, verify; and the
 * record of every earlier try.
 */
export function RemediationPanel(props: RemediationPanelProps) {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const compound = useMemo(
    () => getCompoundEntityRef(entity),
    // The ref string identifies the entity; the object may be rebuilt on each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [entityRef],
  );
  const client = useRemediationClient();
  const gateOf = useActionPermissions(entityRef);
  const pollIntervalMs = props.pollIntervalMs ?? 1500;

  const recommended = (
    Array.isArray(props.actions) ? props.actions : []
  ).filter((a): a is RecommendedAction => !!a && ACTION_IDS.includes(a.id));
  const recommendedIds = new Set(recommended.map(a => a.id));
  const others = ACTION_IDS.filter(id => !recommendedIds.has(id));

  const [menuAnchor, setMenuAnchor] = useState<HTMLElement | null>(null);
  // Each start gets a fresh dialog (and so a fresh dry run and Idempotency-Key).
  const [active, setActive] = useState<{ actionId: ActionId; seq: number }>();
  const [dialogOpen, setDialogOpen] = useState(false);
  const [lastRun, setLastRun] = useState<ActionRun>();
  const [historyToken, setHistoryToken] = useState(0);

  const start = (actionId: ActionId) => {
    setMenuAnchor(null);
    setLastRun(undefined);
    setActive(current => ({ actionId, seq: (current?.seq ?? 0) + 1 }));
    setDialogOpen(true);
  };
  const closeDialog = () => {
    setDialogOpen(false);
    setHistoryToken(t => t + 1);
  };
  const onRunChange = useCallback((run: ActionRun) => {
    setLastRun(run);
    if (isFinalRun(run)) setHistoryToken(t => t + 1);
  }, []);

  const gates = ACTION_IDS.map(id => gateOf(id));
  // When nothing may be run here, say so once, visibly, without opening the menu.
  const allDenied = gates.every(g => !g.allowed && !g.loading);

  return (
    <InfoCard
      title="Remediation"
      subheader="Dry run first; nothing changes until you confirm"
    >
      <Box data-testid="vastai-remediation">
        {recommended.length > 0 ? (
          <ol
            aria-label="Recommended remediations"
            style={{ margin: 0, paddingLeft: 20 }}
          >
            {recommended.map(action => (
              <ActionButton
                key={action.id}
                actionId={action.id}
                why={action.reason}
                gate={gateOf(action.id)}
                onRun={start}
              />
            ))}
          </ol>
        ) : (
          <Typography variant="body2" color="textSecondary">
            The runbook recommends no remediation right now.
          </Typography>
        )}
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
              const gate = gateOf(id);
              return (
                <MenuItem
                  key={id}
                  disabled={!gate.allowed}
                  onClick={() => start(id)}
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
        {lastRun && !dialogOpen && (
          <Box
            mt={2}
            role="status"
            aria-live="polite"
            data-testid="vastai-remediation-last-run"
          >
            <Typography variant="body2">
              {actionLabel(lastRun.actionId)}:{' '}
              <strong>
                {isFinalRun(lastRun)
                  ? outcomeOf(lastRun).headline
                  : `in progress (${lastRun.phase})`}
              </strong>{' '}
              <Button size="small" onClick={() => setDialogOpen(true)}>
                Show details
              </Button>
            </Typography>
          </Box>
        )}
        {active && (
          <RemediationDialog
            key={active.seq}
            client={client}
            entity={compound}
            actionId={active.actionId}
            open={dialogOpen}
            onClose={closeDialog}
            onRunChange={onRunChange}
            pollIntervalMs={pollIntervalMs}
          />
        )}
        <Box mt={3}>
          <Typography variant="subtitle1" component="h3">
            History
          </Typography>
          <RemediationHistory
            client={client}
            entity={compound}
            refreshToken={historyToken}
          />
        </Box>
      </Box>
    </InfoCard>
  );
}
