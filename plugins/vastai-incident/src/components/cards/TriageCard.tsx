import { InfoCard, Progress } from '@backstage/core-components';
import { ReactNode } from 'react';
import {
  Signal,
  SignalSource,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import { useTriage } from '../../hooks/useEntityResource';
import { useNow } from '../../hooks/useNow';
import { PolledResource } from '../../hooks/usePolledResource';
import { TriageErrorPanel } from '../common/TriageErrorPanel';

/** The signal of one source in a report, if the report has it. */
export function findSignal<TValue>(
  report: TriageReport | undefined,
  source: SignalSource,
): Signal<TValue> | undefined {
  const signals = Array.isArray(report?.signals) ? report!.signals : [];
  return signals.find(s => !!s && s.source === source) as
    | Signal<TValue>
    | undefined;
}

/** An overview card fed by one polled resource, with the shared loading/error states. */
export function ResourceCard<T>(props: {
  title: string;
  resource: PolledResource<T>;
  children: (value: T, now: number) => ReactNode;
}) {
  const { resource } = props;
  const now = useNow();
  let body: ReactNode;
  if (resource.loading && !resource.value) {
    body = <Progress />;
  } else if (!resource.value) {
    body = (
      <TriageErrorPanel
        error={resource.error ?? new Error('No data')}
        compact
      />
    );
  } else {
    body = props.children(resource.value, now);
  }
  return <InfoCard title={props.title}>{body}</InfoCard>;
}

/** An overview card fed by the entity's triage. */
export function TriageCard(props: {
  title: string;
  children: (report: TriageReport, now: number) => ReactNode;
}) {
  return (
    <ResourceCard title={props.title} resource={useTriage()}>
      {props.children}
    </ResourceCard>
  );
}
