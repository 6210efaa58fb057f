import type {
  IntegrationHealthValue,
  KubernetesValue,
  MetricsValue,
  Signal,
  TriageReport,
  VendorApiValue,
  VendorStatusValue,
} from '@vastai-incident/backstage-plugin-common';

/** Everything triage looks at: one signal per upstream, any of which may be unknown or stale. */
export interface TriageInput {
  vendorStatus: Signal<VendorStatusValue>;
  vendorApi: Signal<VendorApiValue>;
  health: Signal<IntegrationHealthValue>;
  metrics: Signal<MetricsValue>;
  kubernetes: Signal<KubernetesValue>;
}

/** How old, in seconds, each source's reading may be and still count as current evidence. */
export type FreshnessBudgets = Record<keyof TriageInput, number>;

export interface TriageOptions {
  /** When the triage runs, epoch ms. Default: the newest observation among the signals. */
  now?: number;
  /** Per-source freshness budgets; missing sources keep the defaults. */
  freshnessSeconds?: Partial<FreshnessBudgets>;
}

/** The part of a TriageReport that triage decides; the caller adds entity, signals and time. */
export type TriageOutcome = Pick<
  TriageReport,
  'severity' | 'branch' | 'path' | 'verdict' | 'reasons' | 'actions'
> &
  Required<Pick<TriageReport, 'side'>>;
