export { SharedReads, staleMarks } from './sharedReads';
export type { SharedReadsOptions, SharedValue } from './sharedReads';
