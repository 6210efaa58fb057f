import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type { ActionDiffLine } from '@vastai-incident/backstage-plugin-common';
import { ColumnHeads } from '../common/ColumnHeads';

function valueText(value: string | null, secret?: boolean): string {
  // The server masks secrets already; the words make it explicit, and nothing here unmasks.
  if (secret) return value === null ? '(absent)' : '•••••••• (secret, hidden)';
  return value === null ? '(absent)' : value;
}

/** The dry run's readable diff: what would change, from what, to what. */
export function DiffTable(props: { diff: ActionDiffLine[] }) {
  const lines = Array.isArray(props.diff) ? props.diff : [];
  if (lines.length === 0) {
    return (
      <Typography variant="body2" data-testid="vastai-remediation-diff-empty">
        Nothing would change.
      </Typography>
    );
  }
  return (
    <Table size="small" data-testid="vastai-remediation-diff">
      <caption>
        Changes the server accepted in a dry run (nothing written yet)
      </caption>
      <ColumnHeads names={['Object', 'Field', 'Before', 'After']} />
      <TableBody>
        {lines.map((line, index) => (
          <TableRow key={`${line.object}-${line.path}-${index}`}>
            <TableCell>{line.object}</TableCell>
            <TableCell style={{ wordBreak: 'break-all' }}>
              <code>{line.path}</code>
            </TableCell>
            <TableCell style={{ whiteSpace: 'nowrap' }}>
              <code>{valueText(line.before, line.secret)}</code>
            </TableCell>
            <TableCell style={{ whiteSpace: 'nowrap' }}>
              <code>{valueText(line.after, line.secret)}</code>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
