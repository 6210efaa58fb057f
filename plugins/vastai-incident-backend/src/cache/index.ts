export { SharedReads } from './sharedReads';
export type { SharedReadsOptions, SharedValue } from './sharedReads';
