import { InfoCard, Progress } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Divider from '@material-ui/core/Divider';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  DeclareIncidentRequest,
  IncidentChanges,
  TriageReport,
  vastaiCommsSendPermission,
  vastaiIncidentManagePermission,
} from '@vastai-incident/backstage-plugin-common';
import { ReactNode, useCallback, useEffect, useState } from 'react';
import { useIncidents, useIncidentsApi } from '../../hooks/useIncidents';
import { ActionHint, ActionRow } from '../common/ActionRow';
import { ErrorAlert } from '../common/ErrorAlert';
import { CommsSection } from './CommsSection';
import { DeclareIncidentDialog } from './DeclareIncidentDialog';
import { EvidenceSection } from './EvidenceSection';
import { IncidentSummary } from './IncidentSummary';
import { IncidentTimeline } from './IncidentTimeline';
import { PostmortemSection } from './PostmortemSection';
import { errorMessage, formatTime, Gate } from './support';

export interface IncidentPanelProps {
  /** The current triage: pre-fills the severity and title of a new incident. */
  report?: TriageReport;
  /** How often the incident record is re-read; 0 turns it off. Default 10 s. */
  refreshIntervalMs?: number;
  /** How often a building evidence bundle's progress is read. Default 1 s. */
  evidencePollMs?: number;
}

function gate(
  result: { allowed: boolean; loading: boolean },
  permission: string,
): Gate {
  if (result.allowed) return { allowed: true };
  return {
    allowed: false,
    reason: result.loading
      ? 'Checking your permissions…'
      : `You lack the ${permission} permission on this entity.`,
  };
}

function Section(props: { title: string; children: ReactNode; id: string }) {
  return (
    <Box component="section" mt={3} aria-labelledby={props.id}>
      <Divider />
      <Typography
        variant="h6"
        component="h3"
        id={props.id}
        style={{ marginTop: 16 }}
      >
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}

/** Declare, run and close an incident of the entity in context: the runbook's steps 4 and after. */
export function IncidentPanel(props: IncidentPanelProps) {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useIncidentsApi();
  const identityApi = useApi(identityApiRef);
  const state = useIncidents(entityRef, props.refreshIntervalMs ?? 10_000);
  const manage = gate(
    usePermission({
      permission: vastaiIncidentManagePermission,
      resourceRef: entityRef,
    }),
    'vastai.incident.manage',
  );
  const send = gate(
    usePermission({
      permission: vastaiCommsSendPermission,
      resourceRef: entityRef,
    }),
    'vastai.comms.send',
  );
  const [currentUser, setCurrentUser] = useState<string>();
  const [declaring, setDeclaring] = useState(false);

  useEffect(() => {
    let cancelled = false;
    identityApi
      .getBackstageIdentity()
      .then(identity => !cancelled && setCurrentUser(identity.userEntityRef))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [identityApi]);

  const { refresh, choose, detail } = state;
  const declare = useCallback(
    async (request: DeclareIncidentRequest) => {
      await api.declare(request);
      setDeclaring(false);
      choose(undefined);
    },
    [api, choose],
  );
  /** Acts on the shown incident, then reads it again so the change shows. */
  const onShown = useCallback(
    async (act: (id: string) => Promise<unknown>) => {
      if (!detail) return;
      await act(detail.id);
      await refresh();
    },
    [detail, refresh],
  );
  const change = (changes: IncidentChanges) =>
    onShown(id => api.update(id, changes));
  const addNote = (text: string) => onShown(id => api.addNote(id, text));

  if (state.loading) {
    return (
      <InfoCard title="Incident">
        <Progress aria-label="Loading incidents" />
      </InfoCard>
    );
  }

  const incidents = state.incidents ?? [];
  const openIncident = incidents.find(i => i.status !== 'resolved');
  const resolved = detail?.status === 'resolved';
  const notesGate: Gate = resolved
    ? { allowed: false, reason: 'The incident is resolved.' }
    : manage;

  return (
    <InfoCard
      title="Incident"
      subheader="Declare, communicate, collect evidence, write the postmortem"
    >
      <Box data-testid="vastai-incident-panel">
        <ErrorAlert
          message={
            state.error &&
            `Could not read the incidents: ${errorMessage(state.error)}`
          }
        />
        {!openIncident && (
          <ActionRow gap={12} mb={2}>
            <Typography variant="body1">
              No incident is open for this entity.
            </Typography>
            <Button
              variant="contained"
              color="secondary"
              onClick={() => setDeclaring(true)}
              disabled={!manage.allowed}
              aria-describedby={
                manage.reason ? 'vastai-declare-reason' : undefined
              }
            >
              Declare incident
            </Button>
            <ActionHint id="vastai-declare-reason">{manage.reason}</ActionHint>
          </ActionRow>
        )}
        {incidents.length > 1 && detail && (
          <TextField
            select
            id="vastai-incident-select"
            label="Showing incident"
            value={detail.id}
            onChange={e => choose(e.target.value)}
            style={{ minWidth: 360 }}
            margin="dense"
          >
            {incidents.map(i => (
              <MenuItem key={i.id} value={i.id}>
                [{i.severity}] {i.title} · {i.status} ·{' '}
                {formatTime(i.declaredAt)}
              </MenuItem>
            ))}
          </TextField>
        )}
        {detail && (
          <>
            <IncidentSummary
              incident={detail}
              manage={manage}
              onChange={change}
            />
            <Section title="Communication" id="vastai-incident-comms">
              <CommsSection incident={detail} send={send} onChanged={refresh} />
            </Section>
            <Section title="Timeline" id="vastai-incident-timeline-title">
              <IncidentTimeline
                events={detail.timeline}
                notes={notesGate}
                onAddNote={addNote}
              />
            </Section>
            <Section title="Evidence bundle" id="vastai-incident-evidence">
              <EvidenceSection
                incident={detail}
                build={manage}
                pollMs={props.evidencePollMs}
                onChanged={refresh}
              />
            </Section>
            <Section title="Postmortem" id="vastai-incident-postmortem">
              <PostmortemSection incident={detail} edit={manage} />
            </Section>
          </>
        )}
        <DeclareIncidentDialog
          open={declaring}
          entityRef={entityRef}
          triageSeverity={props.report?.severity}
          suggestedTitle={props.report?.verdict}
          currentUser={currentUser}
          onClose={() => setDeclaring(false)}
          onDeclare={declare}
        />
      </Box>
    </InfoCard>
  );
}
