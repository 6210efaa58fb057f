export { vastaiIncidentApiRef } from './VastaiIncidentApi';
export type { VastaiIncidentApi, PodsResponse } from './VastaiIncidentApi';
export { VastaiIncidentClient } from './VastaiIncidentClient';
