export { SharedReads, staleMarks } from './sharedReads';
export type { SharedReadsOptions, SharedValue } from './sharedReads';
export { FallbackCache } from './fallbackCache';
export type { FallbackCacheOptions } from './fallbackCache';
