export { triage } from './triage';
export {
  DEFAULT_FRESHNESS_SECONDS,
  DEFAULT_TRIAGE_THRESHOLDS,
} from './thresholds';
export type { TriageThresholds } from './thresholds';
export type {
  FreshnessBudgets,
  TriageInput,
  TriageOptions,
  TriageOutcome,
} from './types';
