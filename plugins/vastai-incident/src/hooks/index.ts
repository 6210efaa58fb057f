export {
  usePolledResource,
  DEFAULT_REFRESH_INTERVAL_MS,
} from './usePolledResource';
export type { PolledResource } from './usePolledResource';
export { useTriage } from './useTriage';
export { useNow } from './useNow';
export { useEntityResource, useRefreshOnToken } from './useEntityResource';
