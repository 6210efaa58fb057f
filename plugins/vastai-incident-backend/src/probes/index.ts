export { guardProbe, unknownSignal, InvalidAnswerError } from './signal';
export type { Probe } from './signal';
export * from './vendorStatus';
export * from './vendorApi';
export * from './integrationHealth';
export { parseHealthBody } from './healthShapes';
export * from './prometheus';
export * from './kubernetes';
