export { guardProbe, unknownSignal, InvalidAnswerError } from './signal';
export type { Probe } from './signal';
export {
  createVendorStatusProbe,
  statuspageV2Parser,
  STATUS_PAGE_PARSERS,
  vendorStatusState,
} from './vendorStatus';
export type {
  StatusPageParser,
  VendorStatusProbeOptions,
} from './vendorStatus';
export {
  createVendorApiProbe,
  classifyVendorAnswer,
  vendorMessage,
} from './vendorApi';
export type { VendorApiProbeOptions } from './vendorApi';
export {
  createIntegrationHealthProbe,
  parseHealthBody,
} from './integrationHealth';
export type { IntegrationHealthProbeOptions } from './integrationHealth';
export * from './prometheus';
export * from './kubernetes';
