import { Progress, WarningPanel } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { ReactNode } from 'react';
import { PolledResource } from '../../hooks/usePolledResource';
import { TriageErrorPanel } from '../common/TriageErrorPanel';

/**
 * The shared loading / error / denied states of one tab section; a failed
 * refresh keeps the last value and says so.
 */
export function SectionState<T>(props: {
  resource: PolledResource<T>;
  label: string;
  children: (value: T) => ReactNode;
}) {
  const { resource, label } = props;
  if (resource.loading && resource.value === undefined) {
    return (
      <Box role="status" aria-label={`Loading ${label}`}>
        <Progress />
      </Box>
    );
  }
  if (resource.value === undefined || resource.value === null) {
    return (
      <TriageErrorPanel
        error={resource.error ?? new Error(`No ${label} returned`)}
        compact
      />
    );
  }
  return (
    <>
      {resource.error && (
        <Box mb={1}>
          <WarningPanel
            severity="warning"
            title={`Refreshing ${label} failed: showing the last answer`}
            message={resource.error.message}
          />
        </Box>
      )}
      {props.children(resource.value)}
    </>
  );
}
