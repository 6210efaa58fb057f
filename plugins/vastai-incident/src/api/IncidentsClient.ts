import type * as wire from '@vastai-incident/backstage-plugin-common';
import { DownloadedFile, IncidentsApi } from './IncidentsApi';
import { PluginBackendClient } from './PluginBackendClient';

/** Talks to `/api/vastai-incident/v1/incidents...`. */
export class IncidentsClient
  extends PluginBackendClient
  implements IncidentsApi
{
  async list(filter: wire.IncidentFilter = {}): Promise<wire.Incident[]> {
    const { status, severity, entityRef, open } = filter;
    const body = await this.json<{ items: wire.Incident[] }>('/incidents', {
      query: { status, severity, entityRef, open },
    });
    return body.items;
  }

  declare(request: wire.DeclareIncidentRequest): Promise<wire.Incident> {
    return this.json('/incidents', { method: 'POST', body: request });
  }

  get(id: string): Promise<wire.IncidentDetail> {
    return this.json(incidentPath(id));
  }

  update(id: string, changes: wire.IncidentChanges): Promise<wire.Incident> {
    return this.json(incidentPath(id), {
      method: 'PATCH',
      body: changes,
    });
  }

  async addNote(id: string, text: string): Promise<wire.TimelineEvent[]> {
    const body = await this.json<{ items: wire.TimelineEvent[] }>(
      incidentPath(id, 'notes'),
      { method: 'POST', body: { text } },
    );
    return body.items;
  }

  previewMessage(
    id: string,
    channel: wire.CommChannel,
  ): Promise<wire.CommPreview> {
    return this.json(incidentPath(id, 'comms/preview'), {
      query: { channel },
    });
  }

  sendMessage(
    id: string,
    channel: wire.CommChannel,
    text: string,
    idempotencyKey: string,
  ): Promise<wire.CommMessage> {
    return this.json(incidentPath(id, 'comms'), {
      method: 'POST',
      body: { channel, text },
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  retryMessage(id: string, messageId: string): Promise<wire.CommMessage> {
    return this.json(
      incidentPath(id, `comms/${encodeURIComponent(messageId)}/retry`),
      { method: 'POST' },
    );
  }

  getPagerDutyStatus(id: string): Promise<wire.PagerDutyStatus> {
    return this.json(incidentPath(id, 'comms/pagerduty'));
  }

  previewPagerDuty(
    id: string,
    action: wire.PagerDutyAction,
  ): Promise<wire.PagerDutyPreview> {
    return this.json(incidentPath(id, 'comms/pagerduty/preview'), {
      query: { action },
    });
  }

  sendPagerDuty(
    id: string,
    action: wire.PagerDutyAction,
    text: string | undefined,
    idempotencyKey: string,
  ): Promise<wire.CommMessage> {
    const body: wire.PagerDutySendRequest =
      text === undefined ? { action } : { action, text };
    return this.json(incidentPath(id, 'comms/pagerduty'), {
      method: 'POST',
      body,
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  startEvidence(id: string): Promise<wire.EvidenceBundle> {
    return this.json(incidentPath(id, 'evidence'), { method: 'POST' });
  }

  getEvidence(id: string, bundleId: string): Promise<wire.EvidenceBundle> {
    return this.json(
      incidentPath(id, `evidence/${encodeURIComponent(bundleId)}`),
    );
  }

  downloadEvidence(id: string, bundleId: string): Promise<DownloadedFile> {
    return this.download(
      incidentPath(id, `evidence/${encodeURIComponent(bundleId)}/download`),
      `incident-${id}-evidence.tar.gz`,
    );
  }

  getPostmortem(id: string): Promise<wire.Postmortem> {
    return this.json(incidentPath(id, 'postmortem'));
  }

  savePostmortem(id: string, markdown: string): Promise<wire.Postmortem> {
    return this.json(incidentPath(id, 'postmortem'), {
      method: 'PUT',
      body: { markdown },
    });
  }

  downloadPostmortem(id: string): Promise<DownloadedFile> {
    return this.download(
      incidentPath(id, 'postmortem/download'),
      `postmortem-${id}.md`,
    );
  }

  private async download(
    path: string,
    fallbackName: string,
  ): Promise<DownloadedFile> {
    const response = await this.fetch(path);
    // The server names the file; keep its name when it gives one.
    const disposition = response.headers.get('content-disposition') ?? '';
    const match = /filename="([^"]+)"/.exec(disposition);
    return {
      blob: await response.blob(),
      fileName: match?.[1] ?? fallbackName,
    };
  }
}

function incidentPath(id: string, sub?: string): string {
  return `/incidents/${encodeURIComponent(id)}${sub ? `/${sub}` : ''}`;
}
