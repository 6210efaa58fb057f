import {
  Incident,
  IncidentStatus,
  Severity,
  TimelineEvent,
} from '@vastai-incident/backstage-plugin-common';
import { escapeSlackText } from './commander';

/** Slack's documented limits for incoming webhook messages. */
export const SLACK_LIMITS = {
  headerChars: 150,
  sectionChars: 3000,
  blocks: 50,
  /** Slack truncates `text` beyond 40,000 characters; we stay under it. */
  textChars: 40_000,
} as const;

/** How often an update is promised, by severity, in minutes (P4: no cadence). */
export const UPDATE_CADENCE_MINUTES: Record<Severity, number | undefined> = {
  P1: 15,
  P2: 30,
  P3: 60,
  P4: undefined,
};

const STATUS_LABEL: Record<IncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

const DEFAULT_ACTION: Record<IncidentStatus, string> = {
  investigating: 'Investigating the cause',
  identified: 'Cause identified; applying the fix',
  monitoring: 'Fix applied; monitoring the recovery',
  resolved: 'None: the incident is resolved',
};

/** The latest remediation on the timeline, else what the status implies. */
export function currentAction(
  incident: Incident,
  timeline: TimelineEvent[],
): string {
  if (incident.status !== 'resolved') {
    const lastAction = [...timeline].reverse().find(e => e.kind === 'action');
    if (lastAction) return lastAction.summary;
  }
  return DEFAULT_ACTION[incident.status];
}

export const formatUtc = (date: Date) =>
  `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function nextUpdateText(incident: Incident, now: Date): string {
  if (incident.status === 'resolved') return 'None (resolved)';
  const minutes = UPDATE_CADENCE_MINUTES[incident.severity];
  if (minutes === undefined) return 'Next business day';
  return `${formatUtc(
    new Date(now.getTime() + minutes * 60_000),
  )} (in ${minutes} min)`;
}

/**
 * The severity's colour in the header, as incident channels read them: red for an outage down
 * to blue for no user impact.
 */
export const SEVERITY_EMOJI: Record<Severity, string> = {
  P1: '🔴',
  P2: '🟠',
  P3: '🟡',
  P4: '🔵',
};

/**
 * The runbook's internal (Slack) template, filled from the incident: its fields in the
 * runbook's order (status, impact, current action, next update, incident commander); severity
 * and title are the header. `commander` is how Slack shows the commander (a `<@U123>` mention
 * or an escaped name, see `commander.ts`); without it, the commander text as entered, escaped.
 */
export function slackTemplate(
  incident: Incident,
  timeline: TimelineEvent[],
  now: Date,
  commander: string = escapeSlackText(incident.commander),
): string {
  return [
    `*Status:* ${STATUS_LABEL[incident.status]}`,
    `*Impact:* ${incident.impact}`,
    `*Current action:* ${currentAction(incident, timeline)}`,
    `*Next update:* ${nextUpdateText(incident, now)}`,
    `*Incident commander:* ${commander}`,
  ].join('\n');
}

/** The runbook's header: `🔴 P1 INCIDENT: <title>`. */
export function slackHeader(incident: Incident): string {
  return truncate(
    `${SEVERITY_EMOJI[incident.severity]} ${incident.severity} INCIDENT: ${
      incident.title
    }`,
    SLACK_LIMITS.headerChars,
  );
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Cuts text into pieces of at most `max` characters, at line breaks where possible. */
export function chunkText(text: string, max: number): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = max;
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  if (rest.trim()) chunks.push(rest);
  return chunks;
}

/**
 * Block Kit plus the text fallback, within Slack's limits: a header (<= 150 chars), sections
 * (<= 3000 chars each), a context line, at most 50 blocks (the text is cut with a note beyond).
 */
export function slackPayload(
  incident: Incident,
  text: string,
): { text: string; blocks: unknown[] } {
  const header = slackHeader(incident);
  const context = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(
          `${incident.entityRef} · incident ${incident.id} · sent from Backstage`,
          SLACK_LIMITS.sectionChars,
        ),
      },
    ],
  };
  const maxSections = SLACK_LIMITS.blocks - 2;
  let sections = chunkText(text, SLACK_LIMITS.sectionChars);
  if (sections.length > maxSections) {
    sections = sections.slice(0, maxSections);
    sections[maxSections - 1] = truncate(
      `${sections[maxSections - 1]}\n… (message cut: too long for Slack)`,
      SLACK_LIMITS.sectionChars,
    );
  }
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: header, emoji: true } },
    ...sections.map(section => ({
      type: 'section',
      text: { type: 'mrkdwn', text: section },
    })),
    context,
  ];
  return {
    // The header block is plain text; in the mrkdwn fallback it is escaped, so a title can
    // never become a mention there.
    text: truncate(
      `${escapeSlackText(header)}\n${text}`,
      SLACK_LIMITS.textChars,
    ),
    blocks,
  };
}
