import {
  ActionId,
  Branch,
  Severity,
  SEVERITY_RESPONSE_MINUTES,
  SignalSource,
} from '@vastai-incident/backstage-plugin-common';

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago"; "time unknown" when unreadable. */
export function formatAge(iso: string | undefined, now: number): string {
  const at = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(at)) {
    return 'time unknown';
  }
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 0) {
    // Clock skew between browser and backend: say "just now" rather than a negative age.
    return 'just now';
  }
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** The runbook's response-time target of a severity, for people. */
export function formatResponseTarget(severity: Severity): string {
  const minutes = SEVERITY_RESPONSE_MINUTES[severity];
  if (minutes === undefined) return 'unknown';
  if (severity === 'P4') return 'next business day';
  if (minutes < 60) return `${minutes} min`;
  const hours = minutes / 60;
  return `${hours} h`;
}

export const BRANCH_LABELS: Record<Branch, string> = {
  'vendor-incident': 'Vast.ai incident',
  'our-integration': 'Our integration',
  'resolved-or-intermittent': 'Resolved or intermittent',
  'our-infrastructure': 'Our infrastructure',
  healthy: 'Healthy',
};

export function branchLabel(branch: string | undefined): string {
  if (!branch) return 'Unknown';
  return BRANCH_LABELS[branch as Branch] ?? branch;
}

export const SOURCE_LABELS: Record<SignalSource, string> = {
  'vendor-status': 'Vast.ai status page',
  'vendor-api': 'Vast.ai API probe',
  'integration-health': 'Integration health',
  metrics: 'Metrics (Prometheus)',
  kubernetes: 'Kubernetes',
};

export function sourceLabel(source: string | undefined): string {
  if (!source) return 'Unknown source';
  return SOURCE_LABELS[source as SignalSource] ?? source;
}

const QUESTION_LABELS: Record<string, string> = {
  'vendor-api-errors': 'Are calls to the Vast.ai API failing?',
  'vendor-status-incident': 'Does the Vast.ai status page report an incident?',
  'service-healthy': 'Is our integration service healthy?',
};

export function questionLabel(question: string | undefined): string {
  if (!question) return 'Unknown question';
  return QUESTION_LABELS[question] ?? question;
}

export const ACTION_LABELS: Record<ActionId, string> = {
  'enable-fallback': 'Enable fallback',
  'disable-fallback': 'Disable fallback',
  'queue-mode': 'Switch to queue mode',
  'direct-mode': 'Switch back to direct mode',
  'rollout-restart': 'Restart the deployment',
  'rotate-api-key': 'Rotate the Vast.ai API key',
};

export function actionLabel(id: string | undefined): string {
  if (!id) return 'Unknown action';
  return ACTION_LABELS[id as ActionId] ?? id;
}

/** A ratio as a percentage with sensible precision: 0.0213 -> "2.13 %". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) {
    return 'no data';
  }
  const percent = ratio * 100;
  const digits = percent >= 10 ? 1 : 2;
  return `${percent.toFixed(digits)} %`;
}
