import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  EvidenceBundle,
  IncidentDetail,
} from '@vastai-incident/backstage-plugin-common';
import { useEffect, useState } from 'react';
import { useIncidentsApi } from '../../hooks/useIncidents';
import { useLogsPermission } from '../../hooks/useLogsPermission';
import { ActionHint, ActionRow } from '../common/ActionRow';
import { ErrorAlert } from '../common/ErrorAlert';
import { NotAllowed } from '../common/NotAllowed';
import { errorMessage, formatTime, Gate } from './support';
import { useAction } from './useAction';

export interface EvidenceSectionProps {
  incident: IncidentDetail;
  build: Gate;
  /** How often a building bundle's progress is read. */
  pollMs?: number;
  onChanged: () => Promise<void>;
}

function formatBytes(bytes?: number): string {
  if (bytes === undefined) return 'size unknown';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Builds the evidence bundle in the background, shows its progress, then offers it; only with
 * the logs permission (a bundle holds logs), and why not in its place without it.
 */
export function EvidenceSection(props: EvidenceSectionProps) {
  const gate = useLogsPermission(props.incident.entityRef);
  if (gate.reason) {
    return (
      <Box data-testid="vastai-evidence">
        <NotAllowed what="Evidence bundle" reason={gate.reason} />
      </Box>
    );
  }
  if (!gate.allowed) return null;
  return <EvidenceBundles {...props} />;
}

function EvidenceBundles(props: EvidenceSectionProps) {
  const { incident, build } = props;
  const api = useIncidentsApi();
  const pollMs = props.pollMs ?? 1000;
  const [latest, setLatest] = useState<EvidenceBundle | undefined>(
    incident.evidence[0],
  );
  const { busy, error, setError, run, download } = useAction();

  // The record from the incident wins unless ours is newer (a build we just started).
  useEffect(() => {
    const fromIncident = incident.evidence[0];
    setLatest(current =>
      !current ||
      (fromIncident &&
        Date.parse(fromIncident.updatedAt) >= Date.parse(current.updatedAt))
        ? fromIncident
        : current,
    );
  }, [incident.evidence]);

  // While a bundle builds, read its progress.
  const buildingId = latest?.status === 'building' ? latest.id : undefined;
  const { onChanged } = props;
  useEffect(() => {
    if (!buildingId) return undefined;
    let stopped = false;
    const timer = setInterval(async () => {
      try {
        const bundle = await api.getEvidence(incident.id, buildingId);
        if (stopped) return;
        setLatest(bundle);
        if (bundle.status !== 'building') onChanged();
      } catch (e) {
        if (!stopped) setError(errorMessage(e));
      }
    }, pollMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, incident.id, buildingId, pollMs, onChanged, setError]);

  const start = () =>
    run(async () => setLatest(await api.startEvidence(incident.id)));

  return (
    <Box data-testid="vastai-evidence">
      <Typography variant="body2" color="textSecondary" paragraph>
        A .tar.gz of the triage, logs, metric ranges, vendor status, timeline
        and audit rows of the incident window, secrets redacted.
      </Typography>
      <ErrorAlert message={error} />
      <ActionRow>
        <Button
          variant="outlined"
          onClick={start}
          disabled={!build.allowed || busy || !!buildingId}
          aria-describedby={build.reason ? 'vastai-evidence-reason' : undefined}
        >
          {latest ? 'Build a new evidence bundle' : 'Build evidence bundle'}
        </Button>
        <ActionHint id="vastai-evidence-reason">{build.reason}</ActionHint>
      </ActionRow>
      {latest?.status === 'building' && (
        <Box mt={2}>
          <Typography variant="body2" id="vastai-evidence-progress-label">
            Building the evidence bundle: {latest.progress}%
          </Typography>
          <LinearProgress
            variant="determinate"
            value={latest.progress}
            aria-labelledby="vastai-evidence-progress-label"
          />
        </Box>
      )}
      {latest?.status === 'ready' && (
        <ActionRow mt={2}>
          <Typography variant="body2">
            Ready {formatTime(latest.updatedAt)} (
            {formatBytes(latest.sizeBytes)})
          </Typography>
          <Button
            color="primary"
            variant="contained"
            onClick={() =>
              download(() => api.downloadEvidence(incident.id, latest.id))
            }
          >
            Download evidence bundle (.tar.gz)
          </Button>
        </ActionRow>
      )}
      {latest?.status === 'failed' && (
        <Box mt={2}>
          <Alert severity="error">
            The evidence bundle failed: {latest.reason ?? 'unknown reason'}
          </Alert>
        </Box>
      )}
    </Box>
  );
}
