import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { useEntityResource } from '../../hooks/useEntityResource';
import { PodTable } from '../common/PodTable';
import { SignalSummary } from './SignalSummary';
import { ResourceCard } from './TriageCard';

/** The deployment's pods: ready, restarts, why they wait. */
export function PodsCard() {
  const pods = useEntityResource(
    vastaiIncidentApiRef,
    (api, entity) => api.getPods(entity),
    [],
  );
  return (
    <ResourceCard title="Pods" resource={pods}>
      {(signal, now) => (
        <>
          <SignalSummary signal={signal} now={now} label="Kubernetes" />
          {signal.value && <PodTable value={signal.value} />}
        </>
      )}
    </ResourceCard>
  );
}

export default PodsCard;
