import { SignalSummary } from '../cards/SignalSummary';
import { PodTable } from '../common/PodTable';
import { vastaiIncidentApiRef } from '../../api/VastaiIncidentApi';
import { useEntityResource } from '../../hooks/useEntityResource';
import { SectionState } from './SectionState';

/** The deployment's pods with their Kubernetes signal (state, age, stale/unknown reason). */
export function PodsSection(props: {
  now: number;
  intervalMs?: number;
  refreshToken?: number;
}) {
  const resource = useEntityResource(
    vastaiIncidentApiRef,
    (api, entity) => api.getPods(entity),
    [],
    { intervalMs: props.intervalMs, refreshToken: props.refreshToken },
  );
  return (
    <SectionState resource={resource} label="pods">
      {signal => (
        <div data-testid="vastai-pods">
          <SignalSummary signal={signal} now={props.now} label="Kubernetes" />
          {signal.value ? <PodTable value={signal.value} showEvents /> : null}
        </div>
      )}
    </SectionState>
  );
}
