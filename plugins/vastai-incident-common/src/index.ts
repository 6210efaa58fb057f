/**
 * Permissions and shared types of the Vast.ai incident plugins.
 *
 * @packageDocumentation
 */
export * from './permissions';
export * from './types';
export * from './actions';
export * from './incidents';
