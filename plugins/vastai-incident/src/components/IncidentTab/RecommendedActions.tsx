import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { RecommendedAction } from '@internal/plugin-vastai-incident-common';
import { actionLabel } from '../common/format';

/** What the runbook says to do now, and why. (Buttons come in a later issue.) */
export function RecommendedActions(props: { actions?: RecommendedAction[] }) {
  const actions = (Array.isArray(props.actions) ? props.actions : []).filter(
    Boolean,
  );
  if (actions.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        The runbook recommends no action right now.
      </Typography>
    );
  }
  return (
    <List dense aria-label="Recommended actions">
      {actions.map((action, index) => (
        <ListItem key={`${action?.id}-${index}`} divider>
          <ListItemText
            // Evidence and reasons are sentences: wrap them, never clip them.
            secondaryTypographyProps={{ style: { whiteSpace: 'normal' } }}
            primary={actionLabel(action?.id)}
            secondary={action?.reason}
          />
        </ListItem>
      ))}
    </List>
  );
}
