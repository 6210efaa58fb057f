import type {
  Incident,
  IncidentStatus,
  Severity,
} from '@vastai-incident/backstage-plugin-common';
import type { StatuspageIncidentBody } from './senders';
import { formatUtc } from './templates';

/**
 * The words the public status page gets. They come from this template alone, never from the
 * incident's internal title, impact or triage (reasons, hostnames, pod names, error text): what
 * is internal reaches the public page only when the sender types it into the message.
 */
export interface PublicStatusTemplate {
  /** The public incident's name. */
  name: string;
  /** The user impact told the public, by severity: `{impact}` in the body. */
  impact: Record<Severity, string>;
  /** The message by incident status; `{impact}` and `{lastUpdated}` are filled in. */
  body: Record<IncidentStatus, string>;
}

const closing = (text: string) =>
  `Impact: {impact}\n\n${text}\n\nLast updated: {lastUpdated}`;

/** The runbook's external notice: "Vast.ai Integration Issue". */
export const DEFAULT_PUBLIC_TEMPLATE: PublicStatusTemplate = {
  name: 'Vast.ai Integration Issue',
  impact: {
    P1: 'Features that use Vast.ai GPUs are unavailable.',
    P2: 'Features that use Vast.ai GPUs are degraded: some requests are slow or fail.',
    P3: 'A small share of requests that use Vast.ai GPUs may be delayed or fail.',
    P4: 'No user impact is expected.',
  },
  body: {
    investigating: `We are investigating a problem with our Vast.ai integration.\n\n${closing(
      'We will post an update as soon as we know more.',
    )}`,
    identified: `We have identified the cause of a problem with our Vast.ai integration and are working on a fix.\n\n${closing(
      'We will post an update as soon as we know more.',
    )}`,
    monitoring: `A fix for the problem with our Vast.ai integration is in place and we are monitoring the results.\n\n${closing(
      'We will post an update as soon as we know more.',
    )}`,
    resolved: `The problem with our Vast.ai integration has been resolved.\n\n${closing(
      'Thank you for your patience.',
    )}`,
  },
};

/** Statuspage component status for an open incident of this severity. */
export const COMPONENT_STATUS: Record<Severity, string> = {
  P1: 'major_outage',
  P2: 'partial_outage',
  P3: 'degraded_performance',
  P4: 'operational',
};

/** Statuspage impact_override for this severity. */
export const STATUSPAGE_IMPACT: Record<Severity, string> = {
  P1: 'critical',
  P2: 'major',
  P3: 'minor',
  P4: 'none',
};

/** The public message proposed for the incident now: the template, filled. */
export function publicStatusText(
  template: PublicStatusTemplate,
  incident: Incident,
  now: Date,
): string {
  const values: Record<string, string> = {
    impact: template.impact[incident.severity],
    lastUpdated: formatUtc(now),
  };
  return template.body[incident.status].replace(
    /\{(impact|lastUpdated)\}/g,
    (_, name: string) => values[name],
  );
}

/** What a status-page message publishes; stored with the message, so a retry sends the same. */
export interface StatuspagePayload {
  /** The public incident's name (sent when the message creates it). */
  name: string;
  status: IncidentStatus;
  body: string;
  impact_override: string;
  componentStatus: string;
}

/**
 * What a status-page message publishes: the one function behind the preview and the send, so
 * the preview shows exactly the name and body that go out.
 */
export function statuspagePayload(
  template: PublicStatusTemplate,
  incident: Incident,
  body: string,
): StatuspagePayload {
  return {
    name: template.name,
    status: incident.status,
    body,
    impact_override: STATUSPAGE_IMPACT[incident.severity],
    componentStatus:
      incident.status === 'resolved'
        ? 'operational'
        : COMPONENT_STATUS[incident.severity],
  };
}

/** The body of the status page's create (first message) or update (later ones) call. */
export function statuspageRequest(
  componentId: string | undefined,
  p: StatuspagePayload,
  update: boolean,
): StatuspageIncidentBody {
  const components = componentId
    ? { [componentId]: p.componentStatus }
    : undefined;
  if (update) {
    return {
      status: p.status,
      body: p.body,
      ...(components ? { components } : {}),
    };
  }
  return {
    name: p.name,
    status: p.status,
    body: p.body,
    impact_override: p.impact_override,
    ...(componentId ? { component_ids: [componentId], components } : {}),
    deliver_notifications: true,
  };
}
