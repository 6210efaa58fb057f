// The wire shapes live in the common package, shared with the frontend.
export type {
  ActionAuditEntry,
  ActionDiffLine,
  ActionPhase,
  ActionRun,
  ActionRunStatus,
  ActionVerification,
} from '@vastai-incident/backstage-plugin-common';
