import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { DecisionStep } from '@internal/plugin-vastai-incident-common';
import { questionLabel } from '../common/format';

const ANSWER_TEXT: Record<string, string> = {
  yes: 'Yes',
  no: 'No',
  unknown: 'Unknown (could not tell)',
};

/** The runbook's questions from the root to the leaf, each with its evidence. */
export function DecisionPath(props: { path?: DecisionStep[] }) {
  const path = (Array.isArray(props.path) ? props.path : []).filter(Boolean);
  if (path.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        The backend did not report a decision path.
      </Typography>
    );
  }
  return (
    <List dense component="ol" aria-label="Decision path">
      {path.map((step, index) => (
        <ListItem key={`${step?.question}-${index}`} component="li" divider>
          <ListItemText
            // Evidence and reasons are sentences: wrap them, never clip them.
            secondaryTypographyProps={{ style: { whiteSpace: 'normal' } }}
            primary={
              <>
                {index + 1}. {questionLabel(step?.question)}{' '}
                <strong>
                  {ANSWER_TEXT[step?.answer] ?? step?.answer ?? 'No answer'}
                </strong>
              </>
            }
            secondary={
              step?.evidence ? `Evidence: ${step.evidence}` : undefined
            }
          />
        </ListItem>
      ))}
    </List>
  );
}
