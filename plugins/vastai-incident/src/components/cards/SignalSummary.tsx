import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { Signal } from '@vastai-incident/backstage-plugin-common';
import { formatAge, sourceLabel } from '../common/format';
import { SignalStateLabel } from '../common/SignalStateLabel';
import { signalCaveat } from '../IncidentTab/SignalList';

/** One signal in a card: state in words, summary, age, and any caveat. */
export function SignalSummary(props: {
  signal?: Signal;
  now: number;
  label?: string;
}) {
  const { signal, now } = props;
  if (!signal) {
    return (
      <Typography variant="body2" color="textSecondary">
        {props.label ?? 'This signal'}: not reported.
      </Typography>
    );
  }
  const caveat = signalCaveat(signal);
  return (
    <Box mb={1}>
      <Typography variant="subtitle2">
        {props.label ?? sourceLabel(signal.source)}
      </Typography>
      <SignalStateLabel state={signal.state} stale={signal.stale} />
      <Typography variant="body2">{signal.summary ?? 'No summary'}</Typography>
      {caveat && (
        <Typography variant="caption" display="block" color="textSecondary">
          {caveat}
        </Typography>
      )}
      <Typography variant="caption" color="textSecondary">
        Observed {formatAge(signal.observedAt, now)}
      </Typography>
    </Box>
  );
}
