export { triage } from './triage';
export { DEFAULT_TRIAGE_THRESHOLDS } from './thresholds';
export type { TriageThresholds } from './thresholds';
export type { TriageInput, TriageOutcome, DecisionQuestion } from './types';
export { DECISION_TREE } from './decisionTree';
