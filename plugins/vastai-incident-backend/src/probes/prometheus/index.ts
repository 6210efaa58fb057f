export {
  createHttpPrometheusClient,
  PrometheusQueryError,
  sampleValue,
} from './client';
export type { PrometheusClient, HttpPrometheusClientOptions } from './client';
export {
  QUERY_TEMPLATES,
  INTERNAL_TEMPLATES,
  RANGE_WINDOWS,
  promqlString,
  rangeBounds,
  renderQuery,
} from './templates';
export type { QueryTemplate, TemplateParams, QueryUnit } from './templates';
export { createMetricsProbe, metricsState } from './metricsProbe';
