import Box from '@material-ui/core/Box';
import Alert from '@material-ui/lab/Alert';

/** A failure in words, announced to screen readers; nothing when there is none. */
export function ErrorAlert(props: { message?: string; mt?: number }) {
  if (!props.message) return null;
  const alert = (
    <Alert severity="error" role="alert">
      {props.message}
    </Alert>
  );
  return props.mt ? <Box mt={props.mt}>{alert}</Box> : alert;
}
