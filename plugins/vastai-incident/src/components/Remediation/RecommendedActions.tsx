import {
  ACTION_IDS,
  ActionId,
  RecommendedAction,
} from '@vastai-incident/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { ActionRow } from '../common/ActionRow';
import { actionLabel } from '../common/format';
import { useRemediationLauncher } from './RemediationLauncher';
import { ActionGate } from './useActionPermissions';

/** The triage's recommendations that name an action this plugin knows. */
export function knownActions(
  actions?: RecommendedAction[],
): RecommendedAction[] {
  return (Array.isArray(actions) ? actions : []).filter(
    (a): a is RecommendedAction => !!a && ACTION_IDS.includes(a.id),
  );
}

function ActionButton(props: {
  actionId: ActionId;
  gate: ActionGate;
  why?: string;
  testIdPrefix: string;
  onRun: (id: ActionId) => void;
}) {
  const { actionId, gate, why, testIdPrefix } = props;
  const reasonId = `${testIdPrefix}-reason-${actionId}`;
  return (
    <li data-action-id={actionId} style={{ marginBottom: 12 }}>
      <ActionRow alignItems="baseline" gap={12}>
        <Button
          variant="contained"
          color="primary"
          size="small"
          disabled={!gate.allowed}
          onClick={() => props.onRun(actionId)}
          aria-describedby={reasonId}
          data-testid={`${testIdPrefix}-button-${actionId}`}
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
              data-testid={`${testIdPrefix}-denied-${actionId}`}
            >
              {gate.reason}
            </Typography>
          )}
        </Box>
      </ActionRow>
    </li>
  );
}

/**
 * The recommended remediations as permission-gated buttons that open the page's one dialog.
 * `testIdPrefix` keeps test ids unique when the list shows twice on a page.
 */
export function RecommendedActions(props: {
  actions?: RecommendedAction[];
  testIdPrefix: string;
  /** Show at most this many (the first ones: the runbook orders them). */
  limit?: number;
}) {
  const launcher = useRemediationLauncher();
  const recommended = knownActions(props.actions).slice(0, props.limit);
  if (!launcher) return null;
  if (recommended.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        The runbook recommends no remediation right now.
      </Typography>
    );
  }
  return (
    <ol
      aria-label="Recommended remediations"
      style={{ margin: 0, paddingLeft: 20 }}
    >
      {recommended.map(action => (
        <ActionButton
          key={action.id}
          actionId={action.id}
          why={action.reason}
          gate={launcher.gateOf(action.id)}
          testIdPrefix={props.testIdPrefix}
          onRun={launcher.start}
        />
      ))}
    </ol>
  );
}
