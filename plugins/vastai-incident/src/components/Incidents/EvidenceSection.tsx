import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useEffect, useState } from 'react';
import {
  EvidenceBundle,
  IncidentDetail,
  IncidentsClient,
} from '../../api/IncidentsClient';
import { errorMessage, formatTime, Gate, saveFile } from './support';

export interface EvidenceSectionProps {
  client: IncidentsClient;
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

/** Builds the evidence bundle in the background, shows its progress, then offers it. */
export function EvidenceSection(props: EvidenceSectionProps) {
  const { client, incident, build } = props;
  const pollMs = props.pollMs ?? 1000;
  const [latest, setLatest] = useState<EvidenceBundle | undefined>(
    incident.evidence[0],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

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
        const bundle = await client.getEvidence(incident.id, buildingId);
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
  }, [client, incident.id, buildingId, pollMs, onChanged]);

  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setLatest(await client.startEvidence(incident.id));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const download = async (bundle: EvidenceBundle) => {
    setError(undefined);
    try {
      saveFile(await client.downloadEvidence(incident.id, bundle.id));
    } catch (e) {
      setError(`Download failed: ${errorMessage(e)}`);
    }
  };

  return (
    <Box data-testid="vastai-evidence">
      <Typography variant="body2" color="textSecondary" paragraph>
        A .tar.gz of the triage, logs, metric ranges, vendor status, timeline
        and audit rows of the incident window, secrets redacted.
      </Typography>
      {error && (
        <Alert severity="error" role="alert">
          {error}
        </Alert>
      )}
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
      >
        <Button
          variant="outlined"
          onClick={start}
          disabled={!build.allowed || busy || !!buildingId}
          aria-describedby={build.reason ? 'vastai-evidence-reason' : undefined}
        >
          {latest ? 'Build a new evidence bundle' : 'Build evidence bundle'}
        </Button>
        {build.reason && (
          <Typography
            variant="caption"
            color="textSecondary"
            id="vastai-evidence-reason"
          >
            {build.reason}
          </Typography>
        )}
      </Box>
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
        <Box
          mt={2}
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          style={{ gap: 8 }}
        >
          <Typography variant="body2">
            Ready {formatTime(latest.updatedAt)} (
            {formatBytes(latest.sizeBytes)})
          </Typography>
          <Button
            color="primary"
            variant="contained"
            onClick={() => download(latest)}
          >
            Download evidence bundle (.tar.gz)
          </Button>
        </Box>
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
