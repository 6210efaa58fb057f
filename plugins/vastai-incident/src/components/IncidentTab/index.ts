export { VastaiIncidentContent } from './VastaiIncidentContent';
export type { VastaiIncidentContentProps } from './VastaiIncidentContent';
