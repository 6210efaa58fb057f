import { getCompoundEntityRef } from '@backstage/catalog-model';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { KubernetesValue } from '@internal/plugin-vastai-incident-common';
import { vastaiIncidentApiRef } from '../../api';
import { useNow, usePolledResource } from '../../hooks';
import { TriageErrorPanel } from '../common/TriageErrorPanel';
import { SignalSummary } from './SignalSummary';

function PodTable(props: { value: KubernetesValue }) {
  const { value } = props;
  const pods = (Array.isArray(value.pods) ? value.pods : []).filter(Boolean);
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
          <TableHead>
            <TableRow>
              <TableCell>Pod</TableCell>
              <TableCell>Phase</TableCell>
              <TableCell>Ready</TableCell>
              <TableCell>Restarts</TableCell>
              <TableCell>Waiting / last ended</TableCell>
            </TableRow>
          </TableHead>
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
    </>
  );
}

/** The deployment's pods: ready, restarts, why they wait. */
export function PodsCard() {
  const { entity } = useEntity();
  const api = useApi(vastaiIncidentApiRef);
  const now = useNow();
  const ref = getCompoundEntityRef(entity);
  const pods = usePolledResource(
    () => api.getPods(ref),
    [api, ref.kind, ref.namespace, ref.name],
  );

  let body;
  if (pods.loading && !pods.value) {
    body = <Progress />;
  } else if (!pods.value) {
    body = (
      <TriageErrorPanel error={pods.error ?? new Error('No data')} compact />
    );
  } else {
    body = (
      <>
        <SignalSummary signal={pods.value} now={now} label="Kubernetes" />
        {pods.value.value && <PodTable value={pods.value.value} />}
      </>
    );
  }
  return <InfoCard title="Pods">{body}</InfoCard>;
}

export default PodsCard;
