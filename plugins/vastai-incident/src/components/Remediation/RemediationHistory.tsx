import { Progress } from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useRemediationHistory } from '../../hooks/useRemediation';
import { ColumnHeads } from '../common/ColumnHeads';
import { actionLabel } from '../common/format';
import { describeError } from './describeError';
import { historyOutcomeLabel } from './labels';

function when(iso: string): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? 'time unknown' : new Date(at).toLocaleString();
}

/** Who ran what on this entity, with which result, when and why (the audit rows). */
export function RemediationHistory(props: {
  /** Each change reads the history again. */
  refreshToken: number;
}) {
  const history = useRemediationHistory(props.refreshToken);

  if (history.error) {
    const described = describeError(history.error);
    return (
      <Typography
        variant="body2"
        role="alert"
        data-testid="vastai-remediation-history-error"
      >
        The history could not be read. {described.title}: {described.message}
      </Typography>
    );
  }
  if (!history.value) return <Progress aria-label="Loading the history" />;
  const entries = Array.isArray(history.value.entries)
    ? history.value.entries
    : [];
  if (entries.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No remediation has been run or tried on this entity yet.
      </Typography>
    );
  }
  return (
    <Table size="small" data-testid="vastai-remediation-history">
      <caption>
        The latest {entries.length} remediation records of this entity
      </caption>
      <ColumnHeads names={['When', 'Who', 'Action', 'Result', 'Reason']} />
      <TableBody>
        {entries.map(entry => (
          <TableRow key={entry.id} data-outcome={entry.outcome}>
            <TableCell>{when(entry.finishedAt ?? entry.startedAt)}</TableCell>
            <TableCell>{entry.actor}</TableCell>
            <TableCell>{actionLabel(entry.actionId)}</TableCell>
            <TableCell>
              {historyOutcomeLabel(entry.outcome, entry.dryRun)}
            </TableCell>
            <TableCell>{entry.reason ?? ''}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
