import Button from '@material-ui/core/Button';
import ButtonGroup from '@material-ui/core/ButtonGroup';

/** A small exclusive choice as real buttons (keyboard reachable, `aria-pressed` says which). */
export function ChoiceButtons<T extends string | number>(props: {
  label: string;
  options: ReadonlyArray<{ value: T; text: string }>;
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <ButtonGroup size="small" role="group" aria-label={props.label}>
      {props.options.map(option => {
        const selected = option.value === props.value;
        return (
          <Button
            key={String(option.value)}
            aria-pressed={selected}
            variant={selected ? 'contained' : 'outlined'}
            color={selected ? 'primary' : 'default'}
            onClick={() => props.onChange(option.value)}
          >
            {/* The tick repeats aria-pressed for the eye: not colour alone. */}
            {selected && <span aria-hidden="true">✓&nbsp;</span>}
            {option.text}
          </Button>
        );
      })}
    </ButtonGroup>
  );
}
