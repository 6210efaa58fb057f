import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { useState } from 'react';
import { LogLine } from '@vastai-incident/backstage-plugin-common';
import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { useEntityResource } from '../../hooks/useEntityResource';
import { useLogsPermission } from '../../hooks/useLogsPermission';
import { NotAllowed } from '../common/NotAllowed';
import { ChoiceButtons } from './ChoiceButtons';
import { SectionState } from './SectionState';

export const LOG_SINCE_OPTIONS = [5, 15, 60] as const;

const useStyles = makeStyles(theme => ({
  // The scroll box takes keyboard focus: without it, keyboard users cannot scroll the lines.
  scroller: {
    maxHeight: 360,
    overflow: 'auto',
    background: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    '&:focus-visible': {
      outline: `2px solid ${theme.palette.primary.main}`,
      outlineOffset: 2,
    },
  },
  log: {
    fontFamily:
      'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: '0.8rem',
    lineHeight: 1.5,
    margin: 0,
    padding: theme.spacing(1),
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
    listStyle: 'none',
  },
  meta: { color: theme.palette.text.secondary },
}));

function formatLogTime(iso: string | undefined): string {
  const at = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(at)) return '--:--:--';
  return new Date(at).toLocaleTimeString(undefined, { hour12: false });
}

interface LogsSectionProps {
  intervalMs?: number;
  refreshToken?: number;
}

/**
 * Recent error lines of the deployment's pods (redacted by the backend), newest last; read only
 * with the logs permission, and why not in their place without it.
 */
export function LogsSection(props: LogsSectionProps) {
  const { entity } = useEntity();
  const gate = useLogsPermission(stringifyEntityRef(entity));
  if (gate.reason) return <NotAllowed what="Logs" reason={gate.reason} />;
  if (!gate.allowed) return null;
  return <RecentLogLines {...props} />;
}

function RecentLogLines(props: LogsSectionProps) {
  const classes = useStyles();
  const [since, setSince] = useState<number>(15);
  const resource = useEntityResource(
    vastaiIncidentApiRef,
    (api, entity) => api.getLogs(entity, { sinceMinutes: since }),
    [since],
    { intervalMs: props.intervalMs, refreshToken: props.refreshToken },
  );
  return (
    <>
      <Box mb={2} display="flex" alignItems="center" style={{ gap: 8 }}>
        <Typography variant="body2" id="vastai-logs-since">
          Since
        </Typography>
        <ChoiceButtons
          label="Show error lines since"
          options={LOG_SINCE_OPTIONS.map(m => ({ value: m, text: `${m} min` }))}
          value={since}
          onChange={setSince}
        />
      </Box>
      <SectionState resource={resource} label="logs">
        {logs => {
          const lines: LogLine[] = (
            Array.isArray(logs.lines) ? logs.lines : []
          ).filter(l => !!l && typeof l === 'object');
          return (
            <div data-testid="vastai-logs">
              {lines.length === 0 ? (
                <Typography variant="body2" color="textSecondary">
                  No error lines in the last {logs.sinceMinutes ?? since}{' '}
                  minutes
                  {logs.reason ? ` (${logs.reason})` : ''}.
                </Typography>
              ) : (
                <div
                  className={classes.scroller}
                  role="region"
                  aria-label="Error log lines, scrollable"
                  // A scroll box must take focus so that the keyboard can scroll it.
                  // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
                  tabIndex={0}
                >
                  <ol
                    className={classes.log}
                    aria-label="Recent error log lines"
                  >
                    {lines.map((line, index) => (
                      <li key={index}>
                        <span className={classes.meta}>
                          {formatLogTime(line.time)} {line.pod ?? '?'}
                          {line.container ? `/${line.container}` : ''}
                        </span>{' '}
                        {line.text}
                      </li>
                    ))}
                  </ol>
                </div>
              )}
              {(logs.truncated ||
                logs.stale ||
                (lines.length > 0 && logs.reason)) && (
                <Typography
                  variant="caption"
                  color="textSecondary"
                  component="p"
                >
                  {logs.truncated
                    ? 'Cut short: only the newest lines are shown. '
                    : ''}
                  {logs.stale ? 'Stale: the last answer Kubernetes gave. ' : ''}
                  {lines.length > 0 && logs.reason ? logs.reason : ''}
                </Typography>
              )}
            </div>
          );
        }}
      </SectionState>
    </>
  );
}
