import {
  Incident,
  PAGERDUTY_SUMMARY_MAX,
  PAGING_SEVERITY,
  PagerDutyAction,
  PagerDutyEvent,
} from '@vastai-incident/backstage-plugin-common';
import type { HttpResponse } from '../upstream';
import type { PagerDutyConfig } from './commsConfig';
import {
  networkFailure,
  retryAfterMs,
  SenderOptions,
  SendOutcome,
} from './senders';

// PagerDuty Events API v2: the events an incident sends, where its page stands, and the send.
// The routing key is added to the body at the moment of sending and exists nowhere else: not in
// the stored payload, a preview, a reason, a timeline event or a log line.

/** The alert's summary a trigger proposes: severity, title and entity, within PagerDuty's limit. */
export function defaultPagerDutySummary(incident: Incident): string {
  return `[${incident.severity}] ${incident.title} (${incident.entityRef})`.slice(
    0,
    PAGERDUTY_SUMMARY_MAX,
  );
}

/** What an acknowledge or resolve says on the timeline and in the messages list. */
export const PAGERDUTY_ACTION_TEXT: Record<
  Exclude<PagerDutyAction, 'trigger'>,
  string
> = {
  acknowledge: 'Acknowledge the PagerDuty page: someone is working on it',
  resolve: 'Resolve the PagerDuty page',
};

/** The incident's tab in the portal, or undefined when the portal's address is unknown. */
export function incidentTabUrl(
  incident: Incident,
  appBaseUrl: string | undefined,
): string | undefined {
  if (!appBaseUrl) return undefined;
  const [kind, rest] = incident.entityRef.split(':');
  const [namespace, name] = rest.split('/');
  return `${appBaseUrl.replace(/\/+$/, '')}/catalog/${encodeURIComponent(
    namespace,
  )}/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/vastai-incident`;
}

/**
 * The event for `action` on the incident, without the routing key. The dedup key is the
 * incident's id: every event of the incident acts on one alert. A trigger's custom details are
 * the incident's own fields (redacted when they were stored, and again here), never config.
 */
export function pagerDutyEvent(options: {
  action: PagerDutyAction;
  incident: Incident;
  summary: string;
  config: PagerDutyConfig;
  redact: (text: string) => string;
  appBaseUrl?: string;
  now?: Date;
}): PagerDutyEvent {
  const { action, incident, config, redact } = options;
  const event: PagerDutyEvent = {
    event_action: action,
    dedup_key: incident.id,
  };
  if (action !== 'trigger') return event;
  const link = incidentTabUrl(incident, options.appBaseUrl);
  event.payload = {
    summary: redact(options.summary).slice(0, PAGERDUTY_SUMMARY_MAX),
    source: config.source ?? incident.entityRef,
    // A severity that does not page is refused before an event is built; error is the floor.
    severity: PAGING_SEVERITY[incident.severity] ?? 'error',
    timestamp: (options.now ?? new Date()).toISOString(),
    component: incident.entityRef,
    group: config.group ?? incident.integration,
    class: 'vastai-incident',
    custom_details: {
      incident_id: incident.id,
      entity: incident.entityRef,
      severity: incident.severity,
      status: incident.status,
      impact: redact(incident.impact),
      commander: incident.commander,
      declared_at: incident.declaredAt,
      response_due_at: incident.responseDueAt,
      ...(link ? { incident_url: link } : {}),
    },
  };
  event.client = 'Backstage: Vast.ai incident';
  if (link) {
    event.client_url = link;
    event.links = [{ href: link, text: 'Vast.ai incident in Backstage' }];
  }
  return event;
}

/** PagerDuty's own words for a refusal: `message` and `errors`, scrubbed and short. */
function pagerDutyWords(
  response: HttpResponse,
  redact: (text: string) => string,
): string {
  const text = response.body.trim();
  if (!text || text.startsWith('<')) return '';
  let words = text;
  try {
    const parsed = JSON.parse(text);
    const errors = Array.isArray(parsed?.errors)
      ? parsed.errors.filter((e: unknown) => typeof e === 'string')
      : [];
    words = [parsed?.message ?? parsed?.status, ...errors]
      .filter(Boolean)
      .join('; ');
  } catch {
    // plain text
  }
  return `: ${redact(String(words)).replace(/\s+/g, ' ').slice(0, 300)}`;
}

/**
 * Sends one event. PagerDuty keys alerts by routing key and dedup key, so sending an event again
 * (a retry after a timeout) never opens a second alert: every failure stays retryable, as the
 * Slack and Statuspage ones do, and the Retry-After of a 429, if any, is kept.
 */
export async function sendPagerDutyEvent(
  options: SenderOptions,
  config: PagerDutyConfig,
  event: PagerDutyEvent,
): Promise<SendOutcome> {
  try {
    const response = await options.http({
      url: config.eventsUrl,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ routing_key: config.routingKey, ...event }),
      timeoutMs: options.timeoutMs,
      maxBytes: 16 * 1024,
      onOverflow: 'truncate',
    });
    const status = response.status;
    if (status >= 200 && status < 300) {
      return { ok: true, upstreamStatus: status };
    }
    const words = pagerDutyWords(response, options.redact);
    const after =
      status === 429
        ? retryAfterMs(response.headers['retry-after'])
        : undefined;
    let reason: string;
    if (status === 400) {
      reason = `PagerDuty refused the ${event.event_action} event (HTTP 400${words})`;
    } else if (status === 429) {
      reason = `PagerDuty throttled the ${
        event.event_action
      } event (HTTP 429${words})${
        after !== undefined ? `; retry after ${Math.ceil(after / 1000)} s` : ''
      }`;
    } else {
      reason = `PagerDuty answered HTTP ${status} to the ${event.event_action} event${words}`;
    }
    return {
      ok: false,
      reason,
      retryable: true,
      retryAfterMs: after,
      upstreamStatus: status,
    };
  } catch (error) {
    return networkFailure('PagerDuty', error);
  }
}
