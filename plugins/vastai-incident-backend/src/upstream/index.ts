export { nodeHttpClient } from './httpClient';
export type { HttpClient, HttpRequest, HttpResponse } from './httpClient';
export {
  UpstreamError,
  describeUpstreamError,
  upstreamExcerpt,
} from './errors';
export type { UpstreamFailureKind } from './errors';
export { retryRead, isTransientFailure } from './retry';
export type { RetryOptions } from './retry';
export { SsrfGuard, isForbiddenAddress } from './ssrf';
