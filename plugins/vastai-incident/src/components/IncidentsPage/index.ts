export { VastaiIncidentsPage, IncidentsList } from './VastaiIncidentsPage';
