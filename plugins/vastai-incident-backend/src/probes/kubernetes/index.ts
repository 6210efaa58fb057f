export {
  createKubernetesApis,
  createKubernetesReader,
  kubernetesErrorReason,
} from './client';
export type { KubernetesReader, KubernetesClientOptions } from './client';
export {
  createKubernetesProbe,
  kubernetesState,
  recentWarnings,
  rolloutInProgress,
  selectorOf,
  summarizePod,
} from './kubernetesProbe';
export {
  readErrorLogs,
  isErrorLine,
  splitTimestamp,
  DEFAULT_LOG_BOUNDS,
} from './logs';
export type { LogBounds, ReadErrorLogsOptions } from './logs';
