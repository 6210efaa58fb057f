import { getCompoundEntityRef } from '@backstage/catalog-model';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { vastaiIncidentApiRef } from '../../api';
import { useNow, usePolledResource } from '../../hooks';
import { PodTable } from '../common/PodTable';
import { TriageErrorPanel } from '../common/TriageErrorPanel';
import { SignalSummary } from './SignalSummary';

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
