import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { ActionId, ActionRun } from '@vastai-incident/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  createContext,
  ReactNode,
  useCallback,
  useContext,
  useMemo,
  useState,
} from 'react';
import { actionLabel } from '../common/format';
import { outcomeOf } from './labels';
import { RemediationDialog } from './RemediationDialog';
import { isFinalRun } from './runs';
import { ActionGate, useActionPermissions } from './useActionPermissions';

/** One remediation dialog per entity page, whichever button opened it. */
export interface RemediationLauncher {
  /** What the user may run here (a hint: the server checks again). */
  gateOf: (actionId: ActionId) => ActionGate;
  /** Opens a fresh dialog (a new dry run and Idempotency-Key) for the action. */
  start: (actionId: ActionId) => void;
  /** The latest run started here, as last polled. */
  lastRun?: ActionRun;
  dialogOpen: boolean;
  reopen: () => void;
  /** Changes whenever a run ends or the dialog closes: the history reads again. */
  historyToken: number;
}

const LauncherContext = createContext<RemediationLauncher | undefined>(
  undefined,
);

/** The launcher of the enclosing provider, if any. */
export function useRemediationLauncher(): RemediationLauncher | undefined {
  return useContext(LauncherContext);
}

/**
 * Holds the remediation dialog of the entity in context, so that the triage summary and the
 * remediation panel open the same dialog and show the same run.
 */
export function RemediationLauncherProvider(props: {
  children: ReactNode;
  /** How often a running action is polled. Default 1.5 s. */
  pollIntervalMs?: number;
}) {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const compound = useMemo(
    () => getCompoundEntityRef(entity),
    // The ref string identifies the entity; the object may be rebuilt on each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [entityRef],
  );
  const gateOf = useActionPermissions(entityRef);
  // Each start gets a fresh dialog (and so a fresh dry run and Idempotency-Key).
  const [active, setActive] = useState<{ actionId: ActionId; seq: number }>();
  const [dialogOpen, setDialogOpen] = useState(false);
  const [lastRun, setLastRun] = useState<ActionRun>();
  const [historyToken, setHistoryToken] = useState(0);

  const start = useCallback((actionId: ActionId) => {
    setLastRun(undefined);
    setActive(current => ({ actionId, seq: (current?.seq ?? 0) + 1 }));
    setDialogOpen(true);
  }, []);
  const reopen = useCallback(() => setDialogOpen(true), []);
  const closeDialog = () => {
    setDialogOpen(false);
    setHistoryToken(t => t + 1);
  };
  const onRunChange = useCallback((run: ActionRun) => {
    setLastRun(run);
    if (isFinalRun(run)) setHistoryToken(t => t + 1);
  }, []);

  const launcher: RemediationLauncher = {
    gateOf,
    start,
    lastRun,
    dialogOpen,
    reopen,
    historyToken,
  };
  return (
    <LauncherContext.Provider value={launcher}>
      {props.children}
      {active && (
        <RemediationDialog
          key={active.seq}
          entity={compound}
          actionId={active.actionId}
          open={dialogOpen}
          onClose={closeDialog}
          onRunChange={onRunChange}
          pollIntervalMs={props.pollIntervalMs ?? 1500}
        />
      )}
    </LauncherContext.Provider>
  );
}

/** The run started here while its dialog is closed: in progress, or its outcome in words. */
export function LastRunStatus(props: { testId: string }) {
  const launcher = useRemediationLauncher();
  const run = launcher?.lastRun;
  if (!launcher || !run || launcher.dialogOpen) return null;
  return (
    <Box mt={2} role="status" aria-live="polite" data-testid={props.testId}>
      <Typography variant="body2">
        {actionLabel(run.actionId)}:{' '}
        <strong>
          {isFinalRun(run)
            ? outcomeOf(run).headline
            : `in progress (${run.phase})`}
        </strong>{' '}
        <Button size="small" onClick={launcher.reopen}>
          Show details
        </Button>
      </Typography>
    </Box>
  );
}
