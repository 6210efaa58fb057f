import {
  TimelineEvent,
  TimelineKind,
  vastaiIncidentLogsReadPermission,
} from '@vastai-incident/backstage-plugin-common';

/**
 * Timeline kinds whose words the plugin writes from the incident's own fields (status, severity,
 * commander, impact, sizes): every reader of the incident sees them. Any other kind (notes,
 * action outcomes and their reasons, message excerpts, and kinds added later) can hold internal
 * data and is shown in full only to readers of the logs.
 */
const OPEN_KINDS: ReadonlySet<string> = new Set<TimelineKind>([
  'declared',
  'status',
  'severity',
  'commander',
  'impact',
  'triage-severity',
  'evidence',
  'postmortem',
]);

export const WITHHELD_SUMMARY = `Details withheld: reading them needs the ${vastaiIncidentLogsReadPermission.name} permission`;

/** The timeline as a reader without the logs permission sees it: what happened, when, by whom. */
export function withholdTimelineDetails(
  events: TimelineEvent[],
): TimelineEvent[] {
  return events.map(event =>
    OPEN_KINDS.has(event.kind)
      ? event
      : {
          id: event.id,
          incidentId: event.incidentId,
          at: event.at,
          kind: event.kind,
          actor: event.actor,
          summary: WITHHELD_SUMMARY,
        },
  );
}
