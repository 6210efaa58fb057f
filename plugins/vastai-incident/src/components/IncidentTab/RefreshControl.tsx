import Box from '@material-ui/core/Box';
import CircularProgress from '@material-ui/core/CircularProgress';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { PolledResource } from '../../hooks/usePolledResource';
import { formatAge } from '../common/format';

/** "Updated 12 s ago", the auto-refresh policy in words, and a manual refresh. */
export function RefreshControl(props: {
  /** What is refreshed: its age and whether a read runs now. */
  resource: Pick<PolledResource<unknown>, 'updatedAt' | 'refreshing'>;
  now: number;
  intervalMs: number;
  onRefresh: () => void;
}) {
  const { now, intervalMs, onRefresh } = props;
  const { updatedAt, refreshing } = props.resource;
  const updated = updatedAt
    ? formatAge(new Date(updatedAt).toISOString(), now)
    : 'never';
  const policy =
    intervalMs > 0
      ? `Refreshes every ${Math.round(
          intervalMs / 1000,
        )} s while this browser tab is visible.`
      : 'Automatic refresh is off.';
  return (
    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
      <Typography variant="caption" color="textSecondary">
        Updated {updated}. {policy}
      </Typography>
      <Tooltip title="Refresh now">
        <span>
          <IconButton
            aria-label="Refresh"
            size="small"
            onClick={onRefresh}
            disabled={refreshing}
          >
            {refreshing ? (
              <CircularProgress size={18} aria-label="Refreshing" />
            ) : (
              <RefreshIcon />
            )}
          </IconButton>
        </span>
      </Tooltip>
    </Box>
  );
}
