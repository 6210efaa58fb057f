import {
  EmptyState,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import {
  VASTAI_INTEGRATION_ANNOTATION,
  vastaiIncidentReadPermission,
} from '@vastai-incident/backstage-plugin-common';

function statusOf(error: Error): number | undefined {
  if (ResponseError.is(error)) return error.statusCode;
  return undefined;
}

function serverMessage(error: Error): string {
  return ResponseError.is(error) ? error.cause.message : error.message;
}

/**
 * The error states of every view: 404 = the entity's integration is not
 * configured, 403 = the user may not read it, anything else = the failure.
 */
export function TriageErrorPanel(props: { error: Error; compact?: boolean }) {
  const { error, compact } = props;
  const status = statusOf(error);
  if (status === 404) {
    return (
      <EmptyState
        missing="info"
        title="Vast.ai incident response is not configured for this entity"
        description={
          <>
            The backend has no integration for this entity. Check that the
            annotation <code>{VASTAI_INTEGRATION_ANNOTATION}</code> names an
            entry under <code>vastaiIncident.integrations</code> in the
            app-config.{' '}
            {compact ? null : <>Server said: {serverMessage(error)}</>}
          </>
        }
      />
    );
  }
  if (status === 403) {
    return (
      <WarningPanel
        severity="warning"
        title="Access denied"
        message={`You are not allowed to see the incident data of this entity (permission ${vastaiIncidentReadPermission.name}). Ask the entity's owners for access.`}
      />
    );
  }
  return <ResponseErrorPanel error={error} />;
}
