import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { alpha, makeStyles } from '@material-ui/core/styles';
import {
  Severity,
  SEVERITY_MEANING,
} from '@vastai-incident/backstage-plugin-common';
import { formatResponseTarget } from './format';

/*
 * The level's colour is on the border and a faint tint only; the words are in the theme's primary
 * text colour, which keeps its contrast in the light and the dark theme alike. The level is
 * always written out (P1-P4 and its meaning): colour adds to it, never replaces it.
 */
const useStyles = makeStyles(theme => {
  const level = (color: string) => ({
    borderColor: color,
    borderLeftWidth: 8,
    backgroundColor: alpha(color, 0.12),
  });
  return {
    badge: {
      display: 'inline-flex',
      alignItems: 'baseline',
      gap: theme.spacing(1),
      padding: theme.spacing(0.5, 1.5),
      borderRadius: theme.shape.borderRadius,
      border: '2px solid',
      fontWeight: theme.typography.fontWeightBold as number,
      color: theme.palette.text.primary,
    },
    P1: level(theme.palette.error.main),
    P2: level(theme.palette.warning.main),
    P3: level(theme.palette.info.main),
    P4: { ...level(theme.palette.grey[500]), borderStyle: 'dashed' },
    none: level(theme.palette.success.main),
    level: { fontSize: '1.5rem', lineHeight: 1 },
  };
});

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
