import { InfoCard, Progress } from '@backstage/core-components';
import { ReactNode } from 'react';
import {
  Signal,
  SignalSource,
  TriageReport,
} from '@internal/plugin-vastai-incident-common';
import { useNow, useTriage } from '../../hooks';
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

/** An overview card fed by the entity's triage, with the shared loading/error states. */
export function TriageCard(props: {
  title: string;
  children: (report: TriageReport, now: number) => ReactNode;
}) {
  const triage = useTriage();
  const now = useNow();
  let body: ReactNode;
  if (triage.loading && !triage.value) {
    body = <Progress />;
  } else if (!triage.value) {
    body = (
      <TriageErrorPanel error={triage.error ?? new Error('No data')} compact />
    );
  } else {
    body = props.children(triage.value, now);
  }
  return <InfoCard title={props.title}>{body}</InfoCard>;
}
