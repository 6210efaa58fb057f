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
  /** The accessible name of the select (its visible label is not attached to it). */
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
  return (
    <TextField
      select
      {...rest}
      onChange={e => onChange(e.target.value as Severity)}
      SelectProps={{
        SelectDisplayProps: { 'aria-label': ariaLabel } as any,
      }}
    >
      {SEVERITIES.map(s => (
        <MenuItem key={s} value={s}>
          {s} · {SEVERITY_MEANING[s]}
        </MenuItem>
      ))}
    </TextField>
  );
}
