import type {
  Incident,
  MetricRangeResponse,
  Postmortem,
} from '@vastai-incident/backstage-plugin-common';
import { describeUpstreamError } from '../upstream';
import { IncidentContext, integrationOf } from './context';
import { metricWindow } from './evidence';
import { failedRequestsFrom, postmortemMarkdown } from './postmortem';

/** The postmortem of an incident: the saved one, or a draft from the runbook's template. */
export class PostmortemService {
  constructor(private readonly ctx: IncidentContext) {}

  async get(incident: Incident): Promise<Postmortem> {
    const saved = await this.ctx.store.getPostmortem(incident.id);
    if (saved) return saved;
    return {
      incidentId: incident.id,
      markdown: await this.draft(incident),
      saved: false,
    };
  }

  save(
    incident: Incident,
    markdown: string,
    actor: string,
  ): Promise<Postmortem> {
    return this.ctx.store.savePostmortem(
      incident.id,
      this.ctx.redact(markdown),
      actor,
      { kind: 'postmortem', actor, summary: 'Postmortem saved' },
    );
  }

  private async draft(incident: Incident): Promise<string> {
    const timeline = await this.ctx.store.timeline(incident.id);
    const now = Date.now();
    const from = Date.parse(incident.declaredAt);
    const to = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
    const failed = failedRequestsFrom(
      await this.errorRates(incident, from, to),
      Math.floor(from / 1000),
      Math.ceil(to / 1000),
    );
    return this.ctx.redact(
      postmortemMarkdown({ incident, timeline, failed, now }),
    );
  }

  /** Per-minute error rates by class over [fromMs, toMs]; undefined when unavailable. */
  private async errorRates(
    incident: Incident,
    fromMs: number,
    toMs: number,
  ): Promise<MetricRangeResponse | undefined> {
    const { signals } = this.ctx;
    const integration = integrationOf(this.ctx, incident.integration);
    if (!signals || !integration) return undefined;
    try {
      return await signals.metricRange(
        integration,
        'errors-by-class',
        metricWindow(fromMs, toMs),
      );
    } catch (error) {
      this.ctx.logger.warn(
        `postmortem metrics failed: ${describeUpstreamError(error)}`,
      );
      return undefined;
    }
  }
}
