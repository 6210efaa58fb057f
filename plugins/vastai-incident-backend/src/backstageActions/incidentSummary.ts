import {
  COMM_CHANNELS,
  CommMessage,
} from '@vastai-incident/backstage-plugin-common';
import { readEntityData, readEntityLogs } from '../access/entityGate';
import { withholdTimelineDetails } from '../access/timelineScope';
import { asJson, BackstageActionsOptions, scrubbed } from './context';
import { entityRefField } from './remediationSchemas';

/** The most recent timeline events an answer holds (an assistant reads all of it). */
export const MAX_TIMELINE_EVENTS = 100;

/** Per channel: how many messages are in each state, and the last one's state. */
function commsStatus(messages: CommMessage[]) {
  return Object.fromEntries(
    COMM_CHANNELS.map(channel => {
      const own = messages
        .filter(m => m.channel === channel)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      const last = own[own.length - 1];
      return [
        channel,
        {
          sent: own.filter(m => m.status === 'sent').length,
          failed: own.filter(m => m.status === 'failed').length,
          sending: own.filter(m => m.status === 'sending').length,
          last: last
            ? {
                status: last.status,
                at: last.updatedAt,
                ...(last.reason ? { reason: last.reason } : {}),
                retryable: last.retryable,
              }
            : null,
        },
      ];
    }),
  );
}

/**
 * `vastai-incident:incident-summary`: the entity's open incident, its timeline and where its
 * communications stand, read as the incident routes read them: the read permission, the
 * integration still bound, and the timeline's words withheld without the logs permission.
 */
export function registerIncidentSummaryAction(
  options: BackstageActionsOptions,
) {
  const { registry, gate, incidents, redact } = options;
  registry.register({
    name: 'incident-summary',
    title: 'Summarise the open Vast.ai incident',
    description: `The open incident of a catalog entity, if any: title, severity, status, commander, impact, response due time, the timeline (declaration, status and severity changes, notes, remediation outcomes, messages sent; the most recent ${MAX_TIMELINE_EVENTS}) and the Slack and status-page communication status.
Needs vastai.incident.read on the entity; the timeline's notes and action details need vastai.incident.logs.read too (otherwise they are withheld and detailsWithheld is true).`,
    attributes: { readOnly: true, destructive: false, idempotent: true },
    schema: {
      input: z => z.object({ entityRef: entityRefField(z) }),
      output: z =>
        z.object({
          entityRef: z.string(),
          open: z.boolean().describe('whether the entity has an open incident'),
          incident: z
            .object({
              id: z.string(),
              title: z.string(),
              severity: z.string(),
              status: z.string(),
            })
            .passthrough()
            .nullable(),
          timeline: z.array(
            z
              .object({ at: z.string(), kind: z.string(), summary: z.string() })
              .passthrough(),
          ),
          timelineTruncated: z.boolean(),
          detailsWithheld: z.boolean(),
          comms: z
            .record(z.any())
            .describe(
              'per channel (slack, statuspage): counts and the last message',
            ),
          messages: z.array(z.object({}).passthrough()),
        }),
    },
    action: async ({ input, credentials }) =>
      scrubbed(redact, async () => {
        const subject = await gate.authorizeCaller(
          credentials,
          input.entityRef,
          readEntityData,
        );
        const { entityRef } = subject;
        const [incident] = (
          await incidents.list({ entityRef, open: true })
        ).filter(i => gate.isBound(i));
        if (!incident) {
          return {
            output: {
              entityRef,
              open: false,
              incident: null,
              timeline: [],
              timelineTruncated: false,
              detailsWithheld: false,
              comms: commsStatus([]),
              messages: [],
            },
          };
        }
        await gate.recordIntegration(subject, incident.integration);
        const readsLogs = await gate.allows(subject, readEntityLogs);
        const [timeline, messages] = await Promise.all([
          incidents.timeline(incident.id),
          incidents.listMessages(incident.id),
        ]);
        const shown = readsLogs ? timeline : withholdTimelineDetails(timeline);
        return {
          output: {
            entityRef,
            open: true,
            incident: asJson(incident),
            timeline: asJson(shown.slice(-MAX_TIMELINE_EVENTS)),
            timelineTruncated: shown.length > MAX_TIMELINE_EVENTS,
            detailsWithheld: !readsLogs,
            comms: commsStatus(messages),
            // What was (or will be) sent, as the incident route lists it, without the payloads.
            messages: asJson(
              messages.map(({ payload: _payload, ...message }) => message),
            ),
          },
        };
      }),
  });
}
