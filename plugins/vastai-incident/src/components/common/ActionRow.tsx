import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';

/** Buttons and what is said next to them, in one row that wraps on narrow screens. */
export function ActionRow(props: {
  children: ReactNode;
  /** Space between the items, in px. */
  gap?: number;
  alignItems?: 'center' | 'baseline' | 'flex-start';
  mt?: number;
  mb?: number;
}) {
  return (
    <Box
      display="flex"
      alignItems={props.alignItems ?? 'center'}
      flexWrap="wrap"
      style={{ gap: props.gap ?? 8 }}
      mt={props.mt}
      mb={props.mb}
    >
      {props.children}
    </Box>
  );
}

/**
 * Why the control beside it is disabled, or what its result means; nothing when there is
 * nothing to say. The id lets the control point at it with `aria-describedby`.
 */
export function ActionHint(props: { children?: ReactNode; id?: string }) {
  if (!props.children) return null;
  return (
    <Typography variant="caption" color="textSecondary" id={props.id}>
      {props.children}
    </Typography>
  );
}
