import { ResponseError } from '@backstage/errors';
import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  COMM_CHANNELS,
  INCIDENT_STATUSES,
  Severity,
  VASTAI_INCIDENT_PLUGIN_ID,
  type IncidentStatus,
  type CommChannel,
  type Incident,
  type TimelineEvent,
  type CommStatus,
  type CommMessage,
  type CommPreview,
  type EvidenceStatus,
  type EvidenceBundle,
  type Postmortem,
} from '@internal/plugin-vastai-incident-common';

// The shapes of the `/v1/incidents` routes, shared with the backend.
export { INCIDENT_STATUSES, COMM_CHANNELS };
export type {
  IncidentStatus,
  CommChannel,
  Incident,
  TimelineEvent,
  CommStatus,
  CommMessage,
  CommPreview,
  EvidenceStatus,
  EvidenceBundle,
  Postmortem,
};

/** `GET /incidents/:id`: the incident with everything recorded about it. */
export interface IncidentDetail extends Incident {
  timeline: TimelineEvent[];
  messages: CommMessage[];
  evidence: EvidenceBundle[];
}

export interface DeclareIncidentRequest {
  entityRef: string;
  title: string;
  impact: string;
  severity?: Severity;
  commander?: string;
}

export interface IncidentChanges {
  status?: IncidentStatus;
  severity?: Severity;
  commander?: string;
  impact?: string;
}

export interface IncidentFilter {
  status?: IncidentStatus;
  severity?: Severity;
  entityRef?: string;
  open?: boolean;
}

/** A file fetched with the user's credentials, ready to be saved. */
export interface DownloadedFile {
  blob: Blob;
  fileName: string;
}

/** Talks to `/api/vastai-incident/v1/incidents...` with the signed-in user's token. */
export class IncidentsClient {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async list(filter: IncidentFilter = {}): Promise<Incident[]> {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.severity) query.set('severity', filter.severity);
    if (filter.entityRef) query.set('entityRef', filter.entityRef);
    if (filter.open !== undefined) query.set('open', String(filter.open));
    const search = [...query.keys()].length ? `?${query}` : '';
    const body = await this.json<{ items: Incident[] }>(`/incidents${search}`);
    return body.items;
  }

  declare(request: DeclareIncidentRequest): Promise<Incident> {
    return this.json('/incidents', { method: 'POST', body: request });
  }

  get(id: string): Promise<IncidentDetail> {
    return this.json(this.path(id));
  }

  update(id: string, changes: IncidentChanges): Promise<Incident> {
    return this.json(this.path(id), { method: 'PATCH', body: changes });
  }

  async addNote(id: string, text: string): Promise<TimelineEvent[]> {
    const body = await this.json<{ items: TimelineEvent[] }>(
      this.path(id, 'notes'),
      { method: 'POST', body: { text } },
    );
    return body.items;
  }

  previewMessage(id: string, channel: CommChannel): Promise<CommPreview> {
    return this.json(
      this.path(id, `comms/preview?${new URLSearchParams({ channel })}`),
    );
  }

  sendMessage(
    id: string,
    channel: CommChannel,
    text: string,
  ): Promise<CommMessage> {
    return this.json(this.path(id, 'comms'), {
      method: 'POST',
      body: { channel, text },
    });
  }

  retryMessage(id: string, messageId: string): Promise<CommMessage> {
    return this.json(
      this.path(id, `comms/${encodeURIComponent(messageId)}/retry`),
      { method: 'POST' },
    );
  }

  startEvidence(id: string): Promise<EvidenceBundle> {
    return this.json(this.path(id, 'evidence'), { method: 'POST' });
  }

  getEvidence(id: string, bundleId: string): Promise<EvidenceBundle> {
    return this.json(this.path(id, `evidence/${encodeURIComponent(bundleId)}`));
  }

  downloadEvidence(id: string, bundleId: string): Promise<DownloadedFile> {
    return this.download(
      this.path(id, `evidence/${encodeURIComponent(bundleId)}/download`),
      `incident-${id}-evidence.tar.gz`,
    );
  }

  getPostmortem(id: string): Promise<Postmortem> {
    return this.json(this.path(id, 'postmortem'));
  }

  savePostmortem(id: string, markdown: string): Promise<Postmortem> {
    return this.json(this.path(id, 'postmortem'), {
      method: 'PUT',
      body: { markdown },
    });
  }

  downloadPostmortem(id: string): Promise<DownloadedFile> {
    return this.download(
      this.path(id, 'postmortem/download'),
      `postmortem-${id}.md`,
    );
  }

  private path(id: string, sub?: string): string {
    return `/incidents/${encodeURIComponent(id)}${sub ? `/${sub}` : ''}`;
  }

  private async request(
    path: string,
    init?: { method?: string; body?: unknown },
  ): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl(
      VASTAI_INCIDENT_PLUGIN_ID,
    );
    const url = `${baseUrl}/v1${path}`;
    const response = await this.fetchApi.fetch(
      url,
      init?.method
        ? {
            method: init.method,
            ...(init.body !== undefined
              ? {
                  headers: { 'Content-Type': 'application/json' },
                  body: JSON.stringify(init.body),
                }
              : {}),
          }
        : undefined,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }

  private async json<T>(
    path: string,
    init?: { method?: string; body?: unknown },
  ): Promise<T> {
    const response = await this.request(path, init);
    return (await response.json()) as T;
  }

  private async download(
    path: string,
    fallbackName: string,
  ): Promise<DownloadedFile> {
    const response = await this.request(path);
    // The server names the file; keep its name when it gives one.
    const disposition = response.headers.get('content-disposition') ?? '';
    const match = /filename="([^"]+)"/.exec(disposition);
    return {
      blob: await response.blob(),
      fileName: match?.[1] ?? fallbackName,
    };
  }
}
