import type {
  Signal,
  TriageReport,
} from '@vastai-incident/backstage-plugin-common';
import type { IntegrationConfig } from '../config';
import { triage } from '../triage';
import type { TriageInput } from '../triage/types';
import type { SignalService } from './signalService';

/**
 * Runs the runbook's triage on the signals of an integration: the ones given (collected already
 * for this integration), else collected now.
 */
export async function buildTriageReport(
  signals: SignalService,
  entityRef: string,
  integration: IntegrationConfig,
  collected?: TriageInput,
): Promise<TriageReport> {
  const input = collected ?? (await signals.collect(integration));
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
    ...(integration.links ? { links: integration.links } : {}),
  };
}
