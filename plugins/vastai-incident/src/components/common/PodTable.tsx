import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { KubernetesValue } from '@vastai-incident/backstage-plugin-common';
import { ColumnHeads } from './ColumnHeads';

/** The deployment's replicas and pods: ready, restarts, why they wait, how they last ended. */
export function PodTable(props: {
  value: KubernetesValue;
  showEvents?: boolean;
}) {
  const { value } = props;
  const pods = (Array.isArray(value.pods) ? value.pods : []).filter(Boolean);
  const events = (
    Array.isArray(value.warningEvents) ? value.warningEvents : []
  ).filter(Boolean);
  return (
    <>
      <Typography variant="body2">
        {value.deployment ?? 'Deployment'} in {value.namespace ?? '?'}:{' '}
        <strong>
          {value.readyReplicas ?? '?'} of {value.desiredReplicas ?? '?'} ready
        </strong>
        {value.rolloutInProgress ? ' · rollout in progress' : ''}
      </Typography>
      {pods.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No pods found.
        </Typography>
      ) : (
        <Table size="small" aria-label="Pods">
          <ColumnHeads
            names={[
              'Pod',
              'Phase',
              'Ready',
              'Restarts',
              'Waiting / last ended',
            ]}
          />
          <TableBody>
            {pods.map(pod => (
              <TableRow key={pod.name}>
                <TableCell>{pod.name}</TableCell>
                <TableCell>{pod.phase}</TableCell>
                <TableCell>{pod.ready ? 'yes' : 'no'}</TableCell>
                <TableCell>{pod.restarts}</TableCell>
                <TableCell>
                  {[pod.waitingReason, pod.lastTerminationReason]
                    .filter(Boolean)
                    .join(' / ') || '-'}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {props.showEvents && events.length > 0 && (
        <>
          <Typography variant="subtitle2" style={{ marginTop: 12 }}>
            Recent warning events
          </Typography>
          <ul style={{ marginTop: 4 }}>
            {events.map((event, index) => (
              <li key={index}>
                <Typography variant="body2">
                  <strong>{event.reason}</strong>
                  {event.count > 1 ? ` (×${event.count})` : ''}: {event.message}
                </Typography>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
