import { createHash } from 'node:crypto';

/**
 * PagerDuty's Events API v2 (`POST /v2/enqueue`), as the receivers play it: the same validation
 * and the same answers as the real endpoint, and the alerts the events open, acknowledge and
 * resolve (keyed by routing key and dedup_key, as PagerDuty keys them).
 */

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const SUMMARY_MAX = 1024;
const DEDUP_KEY_MAX = 255;

/** A short, one-way fingerprint of a routing key: records and answers never hold the key itself. */
export function routingKeyFingerprint(routingKey: string): string {
  return createHash('sha256').update(routingKey).digest('hex').slice(0, 16);
}

export interface PagerDutyEventRecord {
  at: string;
  /** `routingKeyFingerprint(routing_key)`, or null when the event had none. */
  routingKey: string | null;
  /** The event as received, without its routing key; null for a body that is not JSON. */
  body: unknown;
  status: number;
  /** The answer sent (202 success, 400 invalid event, 429 throttled, 500). */
  answer: unknown;
}

export type PagerDutyAlertStatus = 'triggered' | 'acknowledged' | 'resolved';

export interface PagerDutyAlert {
  routingKey: string;
  dedupKey: string;
  status: PagerDutyAlertStatus;
  summary: string;
  severity: string;
  source: string;
  /** Every event applied to the alert, oldest first. */
  log: Array<{ at: string; action: string }>;
  createdAt: string;
  updatedAt: string;
}

/** The problems of an event, in PagerDuty's words; empty when it is valid. */
export function pagerDutyEventErrors(event: unknown): string[] {
  if (!event || typeof event !== 'object' || Array.isArray(event)) {
    return ['Event object is not a JSON object'];
  }
  const e = event as Record<string, any>;
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || !e.routing_key.trim()) {
    errors.push("'routing_key' is missing or blank");
  }
  if (!ACTIONS.includes(e.event_action)) {
    errors.push(
      "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)",
    );
  }
  if (e.dedup_key !== undefined) {
    if (typeof e.dedup_key !== 'string') {
      errors.push("'dedup_key' must be a string");
    } else if (e.dedup_key.length > DEDUP_KEY_MAX) {
      errors.push(
        `Length of 'dedup_key' is incorrect (should be at most ${DEDUP_KEY_MAX} characters)`,
      );
    }
  }
  if (e.event_action === 'acknowledge' || e.event_action === 'resolve') {
    if (typeof e.dedup_key !== 'string' || !e.dedup_key.trim()) {
      errors.push(`'dedup_key' is required for ${e.event_action} events`);
    }
  }
  if (e.event_action === 'trigger') {
    const p = e.payload;
    if (!p || typeof p !== 'object' || Array.isArray(p)) {
      errors.push("'payload' is missing or blank");
    } else {
      for (const field of ['summary', 'source', 'severity']) {
        if (typeof p[field] !== 'string' || !p[field].trim()) {
          errors.push(`'payload.${field}' is missing or blank`);
        }
      }
      if (typeof p.severity === 'string' && p.severity.trim()) {
        if (!SEVERITIES.includes(p.severity)) {
          errors.push(
            "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
          );
        }
      }
      if (typeof p.summary === 'string' && p.summary.length > SUMMARY_MAX) {
        errors.push(
          `Length of 'payload.summary' is incorrect (should be at most ${SUMMARY_MAX} characters)`,
        );
      }
      if (
        p.custom_details !== undefined &&
        (typeof p.custom_details !== 'object' || p.custom_details === null)
      ) {
        errors.push("'payload.custom_details' must be an object");
      }
    }
  }
  return errors;
}

/** The alerts of the simulated PagerDuty, keyed by routing key fingerprint and dedup key. */
export class PagerDutyAlerts {
  private alerts = new Map<string, PagerDutyAlert>();

  /** Applies a valid event as PagerDuty does; the dedup key it answers with. */
  apply(event: Record<string, any>, now: string): string {
    const routingKey = routingKeyFingerprint(event.routing_key);
    // A trigger without a dedup_key opens a new alert under a key PagerDuty makes up.
    const dedupKey: string =
      event.dedup_key ?? createHash('sha256').update(now).digest('hex');
    const id = `${routingKey}/${dedupKey}`;
    const open = this.alerts.get(id);
    const isOpen = open && open.status !== 'resolved';
    if (event.event_action === 'trigger') {
      if (isOpen) {
        // A trigger on an open alert adds to its log; it changes nothing else.
        open.log.push({ at: now, action: 'trigger' });
        open.updatedAt = now;
      } else {
        this.alerts.set(id, {
          routingKey,
          dedupKey,
          status: 'triggered',
          summary: event.payload.summary,
          severity: event.payload.severity,
          source: event.payload.source,
          log: [{ at: now, action: 'trigger' }],
          createdAt: now,
          updatedAt: now,
        });
      }
    } else if (isOpen) {
      open.status =
        event.event_action === 'resolve' ? 'resolved' : 'acknowledged';
      open.log.push({ at: now, action: event.event_action });
      open.updatedAt = now;
    }
    // An acknowledge or resolve of no open alert is accepted and dropped, as PagerDuty does.
    return dedupKey;
  }

  list(): PagerDutyAlert[] {
    return [...this.alerts.values()].map(a => ({ ...a, log: [...a.log] }));
  }

  clear() {
    this.alerts.clear();
  }
}
