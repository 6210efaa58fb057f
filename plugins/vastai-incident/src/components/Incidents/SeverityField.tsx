import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import {
  Severity,
  SEVERITIES,
  SEVERITY_MEANING,
} from '@vastai-incident/backstage-plugin-common';
import { CSSProperties, ReactNode } from 'react';

/** A severity picker: each choice says what it means. */
export function SeverityField(props: {
  id: string;
  label: string;
  /** The name of the select; its accessible name is this followed by the chosen value. */
  ariaLabel: string;
  value: Severity;
  onChange: (severity: Severity) => void;
  helperText?: ReactNode;
  disabled?: boolean;
  fullWidth?: boolean;
  margin?: 'normal' | 'dense';
  style?: CSSProperties;
}) {
  const { ariaLabel, onChange, ...rest } = props;
  // The accessible name is the field's name followed by the chosen value, so that it holds the
  // text a sighted user reads on the button (speech input users say what they see).
  const nameId = `${props.id}-name`;
  const displayId = `${props.id}-display`;
  return (
    <>
      <span id={nameId} hidden>
        {ariaLabel}
      </span>
      <TextField
        select
        {...rest}
        onChange={e => onChange(e.target.value as Severity)}
        SelectProps={{
          SelectDisplayProps: {
            id: displayId,
            'aria-labelledby': `${nameId} ${displayId}`,
          } as any,
        }}
      >
        {SEVERITIES.map(s => (
          <MenuItem key={s} value={s}>
            {s} · {SEVERITY_MEANING[s]}
          </MenuItem>
        ))}
      </TextField>
    </>
  );
}
