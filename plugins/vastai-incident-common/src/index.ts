/**
 * Permissions, shared types and the runbook model of the Vast.ai incident plugins.
 *
 * @packageDocumentation
 */
export * from './permissions';
export * from './types';
export * from './actions';
export * from './incidents';
export * from './pagerduty';
export * from './runbook/decisionTree';
