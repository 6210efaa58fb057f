import type { CommMessage, Incident } from './incidents';
import type { Severity } from './types';

// Paging through PagerDuty (Events API v2): the wire shapes of the `/incidents/:id/comms/pagerduty`
// routes, shared by the backend and the frontend. The routing key never appears in any of them.

/** The event actions the Events API v2 takes for an alert. */
export const PAGERDUTY_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type PagerDutyAction = (typeof PAGERDUTY_ACTIONS)[number];

/** The severities PagerDuty accepts in `payload.severity`. */
export const PAGERDUTY_SEVERITIES = [
  'critical',
  'error',
  'warning',
  'info',
] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];

/**
 * Which incident severities page someone, and as what: a complete outage (P1) and degraded
 * service (P2) need a person within the hour; P3 and P4 wait for working hours and never page.
 */
export const PAGING_SEVERITY: Partial<Record<Severity, PagerDutySeverity>> = {
  P1: 'critical',
  P2: 'error',
};

/** PagerDuty's limit on `payload.summary`. */
export const PAGERDUTY_SUMMARY_MAX = 1024;

/** The event as sent, without the routing key (it is added at the moment of sending). */
export interface PagerDutyEvent {
  event_action: PagerDutyAction;
  /** The incident's id: every event of one incident acts on one PagerDuty alert. */
  dedup_key: string;
  /** Trigger only. */
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  /** The incident's tab in the portal, when the portal's address is known. */
  links?: Array<{ href: string; text: string }>;
  client?: string;
  client_url?: string;
}

/** Where the incident's page stands, from the events PagerDuty accepted. */
export type PagerDutyState = 'none' | 'triggered' | 'acknowledged' | 'resolved';

/** `GET /incidents/:id/comms/pagerduty/preview?action=`: the event that would be sent. */
export interface PagerDutyPreview {
  channel: 'pagerduty';
  action: PagerDutyAction;
  /** The alert's summary (trigger; editable) or a line saying what the event does. */
  text: string;
  event: PagerDutyEvent;
  /** Why this action cannot be sent now (not configured, severity does not page, no page open). */
  unavailableReason?: string;
}

/** `GET /incidents/:id/comms/pagerduty`: the page of the incident and what can be done now. */
export interface PagerDutyStatus {
  /** False when the incident's integration has no PagerDuty routing key configured. */
  configured: boolean;
  state: PagerDutyState;
  dedupKey: string;
  /** The PagerDuty severity this incident pages with, when its severity pages at all. */
  severity?: PagerDutySeverity;
  /** Each action: undefined when it can be sent now, else why not. */
  unavailable: Partial<Record<PagerDutyAction, string>>;
}

/** `POST /incidents/:id/comms/pagerduty` (with an Idempotency-Key header). */
export interface PagerDutySendRequest {
  action: PagerDutyAction;
  /** Trigger only: the alert's summary (default: the preview's). */
  text?: string;
}

/** The action a stored PagerDuty message carried. */
export function actionOf(
  message: Pick<CommMessage, 'payload'>,
): PagerDutyAction | undefined {
  const action = (message.payload as { event_action?: unknown }).event_action;
  return action === 'trigger' ||
    action === 'acknowledge' ||
    action === 'resolve'
    ? action
    : undefined;
}

const STATE_AFTER: Record<PagerDutyAction, PagerDutyState> = {
  trigger: 'triggered',
  acknowledge: 'acknowledged',
  resolve: 'resolved',
};

/** Where the page stands: the action of the PagerDuty message delivered last. */
export function pagerDutyState(messages: CommMessage[]): PagerDutyState {
  const delivered = messages
    .filter(m => m.channel === 'pagerduty' && m.status === 'sent')
    .sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
  const last = delivered[delivered.length - 1];
  const action = last && actionOf(last);
  return action ? STATE_AFTER[action] : 'none';
}

/** Why each action cannot be sent now; an action left out can. */
export function pagerDutyUnavailable(
  incident: Incident,
  state: PagerDutyState,
  notConfigured: string | undefined,
): Partial<Record<PagerDutyAction, string>> {
  if (notConfigured) {
    return {
      trigger: notConfigured,
      acknowledge: notConfigured,
      resolve: notConfigured,
    };
  }
  const reasons: Partial<Record<PagerDutyAction, string>> = {};
  if (incident.status === 'resolved') {
    reasons.trigger = 'the incident is resolved';
  } else if (!PAGING_SEVERITY[incident.severity]) {
    reasons.trigger = `only P1 and P2 incidents page; this one is ${incident.severity}`;
  }
  if (state === 'none') {
    reasons.acknowledge = 'no page was sent for this incident';
    reasons.resolve = 'no page was sent for this incident';
  } else if (state === 'resolved') {
    reasons.acknowledge = 'the page is resolved';
    reasons.resolve = 'the page is resolved already';
  }
  return reasons;
}
