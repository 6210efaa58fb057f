import type {
  IntegrationHealthValue,
  KubernetesValue,
  MetricsValue,
  Signal,
  TriageReport,
  VendorApiValue,
  VendorStatusValue,
} from '@internal/plugin-vastai-incident-common';

/** Everything triage looks at: one signal per upstream, any of which may be unknown or stale. */
export interface TriageInput {
  vendorStatus: Signal<VendorStatusValue>;
  vendorApi: Signal<VendorApiValue>;
  health: Signal<IntegrationHealthValue>;
  metrics: Signal<MetricsValue>;
  kubernetes: Signal<KubernetesValue>;
}

/** The part of a TriageReport that triage decides; the caller adds entity, signals and time. */
export type TriageOutcome = Pick<
  TriageReport,
  'severity' | 'branch' | 'path' | 'verdict' | 'reasons' | 'actions'
>;

/** The runbook's questions, in the order the tree asks them. */
export type DecisionQuestion =
  | 'vendor-api-errors'
  | 'vendor-status-incident'
  | 'service-healthy';
