import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  EvidenceBundle,
  Incident,
} from '@vastai-incident/backstage-plugin-common';
import { randomUUID } from 'node:crypto';
import { REDACTED } from '../redact';
import { describeUpstreamError } from '../upstream';
import { commsOf, IncidentContext, integrationOf, triageOf } from './context';
import { buildEvidenceBundle, EvidenceSources } from './evidence';

/** A build with no progress for this long is reported as failed. */
const STALLED_BUILD_MS = 10 * 60_000;

/** A build whose backend went away never finishes: say so rather than spin forever. */
function withStallCheck(bundle: EvidenceBundle): EvidenceBundle {
  if (
    bundle.status === 'building' &&
    Date.now() - Date.parse(bundle.updatedAt) > STALLED_BUILD_MS
  ) {
    return {
      ...bundle,
      status: 'failed',
      reason: 'the build stopped (the backend restarted?); start a new one',
    };
  }
  return bundle;
}

/**
 * Evidence bundles of an incident: built in the background of the process that was asked, kept
 * in the database, each file redacted and capped.
 */
export class EvidenceService {
  /** Builds in flight in this process, so tests and shutdown can wait for them. */
  private readonly builds = new Set<Promise<void>>();

  constructor(private readonly ctx: IncidentContext) {}

  async start(incident: Incident, actor: string): Promise<EvidenceBundle> {
    const bundleId = randomUUID();
    await this.ctx.store.insertBundle({
      id: bundleId,
      incidentId: incident.id,
      createdBy: actor,
      at: Date.now(),
    });
    const build = this.build(incident, bundleId, actor).finally(() =>
      this.builds.delete(build),
    );
    this.builds.add(build);
    return (await this.ctx.store.getBundle(bundleId))!;
  }

  /** Waits for the evidence builds of this process (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.builds]);
  }

  async bundle(incident: Incident, bundleId: string): Promise<EvidenceBundle> {
    const bundle = await this.ctx.store.getBundle(bundleId);
    if (!bundle || bundle.incidentId !== incident.id) {
      throw new NotFoundError(
        `No evidence bundle ${bundleId} on incident ${incident.id}`,
      );
    }
    return withStallCheck(bundle);
  }

  async list(incident: Incident): Promise<EvidenceBundle[]> {
    return (await this.ctx.store.listBundles(incident.id)).map(withStallCheck);
  }

  async content(incident: Incident, bundleId: string): Promise<Buffer> {
    const bundle = await this.bundle(incident, bundleId);
    if (bundle.status !== 'ready') {
      throw new ConflictError(`The evidence bundle is ${bundle.status}`);
    }
    const content = await this.ctx.store.bundleContent(bundleId);
    if (!content) throw new NotFoundError('The evidence bundle has no content');
    return content;
  }

  private async build(incident: Incident, bundleId: string, actor: string) {
    const { store } = this.ctx;
    try {
      const timeline = await store.timeline(incident.id);
      const content = await buildEvidenceBundle({
        incident,
        timeline,
        sources: this.sources(incident),
        redact: this.ctx.redact,
        limits: { maxBundleBytes: this.ctx.config.maxEvidenceBytes },
        leadMs: this.ctx.config.evidenceLeadMs,
        onProgress: progress => store.updateBundle(bundleId, { progress }),
      });
      await store.updateBundle(bundleId, {
        status: 'ready',
        progress: 100,
        content,
      });
      await store.addEvent(incident.id, {
        kind: 'evidence',
        actor,
        summary: `Evidence bundle built (${Math.ceil(
          content.length / 1024,
        )} KiB)`,
        detail: { bundleId, sizeBytes: content.length },
      });
    } catch (error) {
      const reason = describeUpstreamError(error);
      this.ctx.logger.warn(`evidence bundle ${bundleId} failed: ${reason}`);
      await store
        .updateBundle(bundleId, { status: 'failed', reason })
        .catch(() => undefined);
    }
  }

  private sources(incident: Incident): EvidenceSources {
    const { signals, auditRows } = this.ctx;
    const integration = integrationOf(this.ctx, incident.integration);
    const noIntegration = () =>
      Promise.reject(new Error('the integration is not configured'));
    return {
      triage: () =>
        triageOf(this.ctx, incident.entityRef, incident.integration),
      logs: since =>
        signals && integration
          ? signals.logs(integration, since)
          : noIntegration(),
      metricRange: (queryId, window) =>
        signals && integration
          ? signals.metricRange(integration, queryId, window)
          : noIntegration(),
      auditRows: auditRows
        ? async () => {
            const rows = await auditRows(incident.entityRef);
            // The evidence window's lead: audit rows from then on belong to the incident.
            const from =
              Date.parse(incident.declaredAt) - this.ctx.config.evidenceLeadMs;
            // Rows of the actions module carry startedAt; keep those of the window.
            return rows.filter(row => {
              const started = Date.parse(String((row as any)?.startedAt ?? ''));
              return !Number.isFinite(started) || started >= from;
            });
          }
        : undefined,
      redactedConfig: () => this.redactedConfig(incident),
      versions: () => this.ctx.versions(),
    };
  }

  /** The incident's integration and channels as configured, every secret replaced. */
  private redactedConfig(incident: Incident): unknown {
    const integration = integrationOf(this.ctx, incident.integration);
    const comms = commsOf(this.ctx, incident);
    return {
      integration: integration ?? { name: incident.integration ?? null },
      slack: comms.slack ? { webhookUrl: REDACTED } : null,
      statuspage: comms.statuspage
        ? {
            apiBaseUrl: comms.statuspage.apiBaseUrl,
            pageId: comms.statuspage.pageId,
            componentId: comms.statuspage.componentId ?? null,
            apiKey: REDACTED,
          }
        : null,
    };
  }
}
