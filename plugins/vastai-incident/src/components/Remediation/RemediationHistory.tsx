import { CompoundEntityRef } from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useEffect, useState } from 'react';
import type {
  ActionAuditEntry,
  RemediationClient,
} from '../../api/RemediationClient';
import { actionLabel } from '../common/format';
import { describeError } from './describeError';
import { historyOutcomeLabel } from './labels';

function when(iso: string): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? 'time unknown' : new Date(at).toLocaleString();
}

/** Who ran what on this entity, with which result, when and why (the audit rows). */
export function RemediationHistory(props: {
  client: RemediationClient;
  entity: CompoundEntityRef;
  /** Each change reads the history again. */
  refreshToken: number;
}) {
  const { client, entity, refreshToken } = props;
  const [entries, setEntries] = useState<ActionAuditEntry[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    client.getHistory(entity, { limit: 20 }).then(
      history => {
        if (cancelled) return;
        setError(undefined);
        setEntries(Array.isArray(history?.entries) ? history.entries : []);
      },
      e => {
        if (cancelled) return;
        const described = describeError(e);
        setError(`${described.title}: ${described.message}`);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, entity, refreshToken]);

  if (error) {
    return (
      <Typography
        variant="body2"
        role="alert"
        data-testid="vastai-remediation-history-error"
      >
        The history could not be read. {error}
      </Typography>
    );
  }
  if (!entries) return <Progress aria-label="Loading the history" />;
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
      <TableHead>
        <TableRow>
          <TableCell component="th" scope="col">
            When
          </TableCell>
          <TableCell component="th" scope="col">
            Who
          </TableCell>
          <TableCell component="th" scope="col">
            Action
          </TableCell>
          <TableCell component="th" scope="col">
            Result
          </TableCell>
          <TableCell component="th" scope="col">
            Reason
          </TableCell>
        </TableRow>
      </TableHead>
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
