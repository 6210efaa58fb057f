import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  Severity,
  SEVERITY_MEANING,
} from '@vastai-incident/backstage-plugin-common';
import { formatResponseTarget } from './format';

const useStyles = makeStyles(theme => ({
  badge: {
    display: 'inline-flex',
    alignItems: 'baseline',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 1.5),
    borderRadius: theme.shape.borderRadius,
    border: '2px solid',
    fontWeight: theme.typography.fontWeightBold as number,
  },
  P1: {
    borderColor: theme.palette.error.main,
    color: theme.palette.error.main,
  },
  P2: {
    borderColor: theme.palette.warning.main,
    color: theme.palette.warning.dark,
  },
  P3: { borderColor: theme.palette.info.main, color: theme.palette.info.dark },
  P4: {
    borderColor: theme.palette.grey[500],
    color: theme.palette.text.primary,
  },
  none: {
    borderColor: theme.palette.success.main,
    color: theme.palette.success.dark,
  },
  level: { fontSize: '1.5rem', lineHeight: 1 },
}));

const KNOWN: ReadonlyArray<string> = ['P1', 'P2', 'P3', 'P4'];

/** P1-P4 with its meaning and the runbook's response target, or "No incident". */
export function SeverityBadge(props: {
  severity?: Severity | null;
  /** Unique on the page when the badge shows more than once. */
  testId?: string;
}) {
  const classes = useStyles();
  const { severity } = props;
  const testId = props.testId ?? 'vastai-severity';
  if (!severity || !KNOWN.includes(severity)) {
    return (
      <Box
        className={`${classes.badge} ${classes.none}`}
        role="status"
        aria-label="Severity: no incident"
        data-testid={testId}
      >
        <span className={classes.level}>No incident</span>
      </Box>
    );
  }
  const target = formatResponseTarget(severity);
  return (
    <Box
      className={`${classes.badge} ${classes[severity]}`}
      role="status"
      aria-label={`Severity ${severity}: ${SEVERITY_MEANING[severity]}, respond within ${target}`}
      data-testid={testId}
    >
      <span className={classes.level}>{severity}</span>
      <Typography component="span" variant="body2">
        {SEVERITY_MEANING[severity]} · respond within {target}
      </Typography>
    </Box>
  );
}
