import type { BackstageActionsOptions } from './context';
import { registerDryRunRemediationAction } from './dryRunRemediation';
import { registerIncidentSummaryAction } from './incidentSummary';
import { registerRemediationStatusAction } from './remediationStatus';
import { registerRunRemediationAction } from './runRemediation';
import { registerTriageAction } from './triage';

export type { BackstageActionsOptions } from './context';

/**
 * Registers the plugin's Backstage actions (`vastai-incident:*`) with the actions registry, which
 * the MCP actions backend serves to AI assistants. Each runs on the caller's own credentials
 * through the routes' entity gate and services: the same permissions, bindings, records and
 * redaction as the HTTP routes.
 */
export function registerBackstageActions(options: BackstageActionsOptions) {
  registerTriageAction(options);
  registerDryRunRemediationAction(options);
  registerRunRemediationAction(options);
  registerRemediationStatusAction(options);
  registerIncidentSummaryAction(options);
}
