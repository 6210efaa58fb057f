export { IncidentPanel } from './IncidentPanel';
export type { IncidentPanelProps } from './IncidentPanel';
export { useIncidentsClient } from './useIncidentsClient';
