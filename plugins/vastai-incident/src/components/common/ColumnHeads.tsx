import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';

/** A table's header row: one column header (`th scope="col"`) per name. */
export function ColumnHeads(props: { names: ReadonlyArray<string> }) {
  return (
    <TableHead>
      <TableRow>
        {props.names.map(name => (
          <TableCell key={name}>{name}</TableCell>
        ))}
      </TableRow>
    </TableHead>
  );
}
