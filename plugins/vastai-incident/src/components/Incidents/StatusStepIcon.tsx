import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import RadioButtonCheckedIcon from '@material-ui/icons/RadioButtonChecked';
import RadioButtonUncheckedIcon from '@material-ui/icons/RadioButtonUnchecked';

/**
 * The icon of one incident status step, told apart by shape as well as colour: done (a tick),
 * current (a filled ring) or to come (an empty ring). It holds no text, so the step button's
 * accessible name ("Set status to resolved") still contains all the text a user sees on it.
 */
export function StatusStepIcon(props: { done: boolean; current: boolean }) {
  if (props.done) return <CheckCircleIcon color="primary" aria-hidden />;
  if (props.current) {
    return <RadioButtonCheckedIcon color="primary" aria-hidden />;
  }
  return <RadioButtonUncheckedIcon color="action" aria-hidden />;
}
