export { SignalService } from './signalService';
export type { SignalServiceOptions, UpstreamClients } from './signalService';
export { buildTriageReport } from './triageService';
