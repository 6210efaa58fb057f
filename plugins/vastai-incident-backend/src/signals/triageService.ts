import type {
  Signal,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import type { IntegrationConfig } from '../config';
import { triage } from '../triage';
import type { SignalService } from './signalService';

/** Collects the signals of an integration and runs the runbook's triage on them. */
export async function buildTriageReport(
  signals: SignalService,
  entityRef: string,
  integration: IntegrationConfig,
): Promise<TriageReport> {
  const input = await signals.collect(integration);
  const now = Date.now();
  const outcome = triage(input, integration.thresholds, {
    now,
    freshnessSeconds: signals.freshnessBudgets(),
  });
  return {
    entityRef,
    integration: integration.name,
    ...outcome,
    signals: [
      input.vendorStatus,
      input.vendorApi,
      input.health,
      input.metrics,
      input.kubernetes,
    ] as Signal[],
    generatedAt: new Date(now).toISOString(),
  };
}
