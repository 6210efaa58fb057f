import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Signal } from '@vastai-incident/backstage-plugin-common';
import { ColumnHeads } from '../common/ColumnHeads';
import { formatAge, sourceLabel } from '../common/format';
import { SignalStateLabel } from '../common/SignalStateLabel';

/** Why a signal should not be trusted at face value, in words. */
export function signalCaveat(signal: Signal): string | undefined {
  if (signal.stale) {
    return `Stale: last known value, the upstream failed now${
      signal.reason ? ` (${signal.reason})` : ''
    }.`;
  }
  if (signal.state === 'unknown') {
    return `Could not tell${signal.reason ? `: ${signal.reason}` : ''}.`;
  }
  return signal.reason;
}

/** Each probe's state, one-line summary and age. */
export function SignalList(props: { signals?: Signal[]; now: number }) {
  // Tolerate holes in a partial report rather than break the tab.
  const signals = (Array.isArray(props.signals) ? props.signals : []).filter(
    (s): s is Signal => !!s && typeof s === 'object',
  );
  if (signals.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No signals were reported.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Signals">
      <ColumnHeads names={['Source', 'State', 'Summary', 'Observed']} />
      <TableBody>
        {signals.map((signal, index) => {
          const caveat = signalCaveat(signal);
          return (
            <TableRow
              key={`${signal.source}-${index}`}
              data-testid={`vastai-signal-${signal.source}`}
            >
              <TableCell>{sourceLabel(signal.source)}</TableCell>
              <TableCell>
                <SignalStateLabel state={signal.state} stale={signal.stale} />
              </TableCell>
              <TableCell>
                {signal.summary ?? 'No summary'}
                {caveat && (
                  <Typography
                    variant="caption"
                    display="block"
                    color="textSecondary"
                  >
                    {caveat}
                  </Typography>
                )}
              </TableCell>
              <TableCell>
                {formatAge(signal.observedAt, props.now)}
                {typeof signal.latencyMs === 'number' && (
                  <Typography
                    variant="caption"
                    display="block"
                    color="textSecondary"
                  >
                    took {Math.round(signal.latencyMs)} ms
                  </Typography>
                )}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
