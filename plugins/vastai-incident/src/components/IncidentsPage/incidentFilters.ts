import {
  INCIDENT_STATUSES,
  IncidentFilter,
  IncidentStatus,
  SEVERITIES,
  Severity,
} from '@vastai-incident/backstage-plugin-common';

/** `open` (not resolved, the default), `all`, or one status. */
export type StatusChoice = 'open' | 'all' | IncidentStatus;
/** `all` or one severity. */
export type SeverityChoice = 'all' | Severity;

export interface PageFilters {
  status: StatusChoice;
  severity: SeverityChoice;
}

const isStatus = (value: string | null): value is IncidentStatus =>
  (INCIDENT_STATUSES as readonly string[]).includes(value ?? '');
const isSeverity = (value: string | null): value is Severity =>
  (SEVERITIES as readonly string[]).includes(value ?? '');

/** The filters in the URL; anything unknown falls back to the default (open, any severity). */
export function readFilters(params: URLSearchParams): PageFilters {
  const status = params.get('status');
  const severity = params.get('severity');
  return {
    status: status === 'all' || isStatus(status) ? status : 'open',
    severity: isSeverity(severity) ? severity : 'all',
  };
}

/** The URL query for the filters; defaults are left out so the plain path means "open". */
export function writeFilters(filters: PageFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.status !== 'open') params.set('status', filters.status);
  if (filters.severity !== 'all') params.set('severity', filters.severity);
  return params;
}

/** What to ask the backend for. */
export function toRequest(filters: PageFilters): IncidentFilter {
  const request: IncidentFilter = {};
  if (filters.status === 'open') request.open = true;
  else if (filters.status !== 'all') request.status = filters.status;
  if (filters.severity !== 'all') request.severity = filters.severity;
  return request;
}

/** "45 min", "2 h 5 min", "3 d 4 h": a duration for people. */
export function durationInWords(ms: number): string {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours ? `${days} d ${restHours} h` : `${days} d`;
}

/** Where the response target stands, in words. */
export function responseInWords(
  incident: {
    status: IncidentStatus;
    respondedAt?: string;
    responseDueAt: string;
    overdue: boolean;
  },
  now: number,
): string {
  // The backend marks a late response overdue too.
  if (incident.respondedAt) {
    return incident.overdue ? 'responded late' : 'responded in time';
  }
  if (incident.status === 'resolved') return 'resolved';
  const due = new Date(incident.responseDueAt).getTime();
  if (Number.isNaN(due)) return 'unknown';
  const left = due - now;
  if (incident.overdue || left <= 0) {
    return `overdue by ${durationInWords(now - due)}`;
  }
  return `due in ${durationInWords(left)}`;
}
