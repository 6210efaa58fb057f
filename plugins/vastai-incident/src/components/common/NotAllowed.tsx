import Alert from '@material-ui/lab/Alert';

/** A section the user may not see: why, in place of its content. */
export function NotAllowed(props: { what: string; reason: string }) {
  return (
    <Alert
      severity="info"
      role="status"
      aria-label={`${props.what}: not allowed`}
    >
      {props.reason}
    </Alert>
  );
}
