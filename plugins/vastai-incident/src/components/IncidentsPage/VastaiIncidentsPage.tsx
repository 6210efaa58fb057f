import { parseEntityRef } from '@backstage/catalog-model';
import {
  Content,
  Header,
  InfoCard,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { Box, TextField, Typography } from '@material-ui/core';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { INCIDENT_STATUSES, Incident } from '../../api/IncidentsClient';
import { useIncidentsClient } from '../Incidents/useIncidentsClient';
import { formatTime, useTicker } from '../Incidents/support';
import {
  PageFilters,
  SEVERITIES,
  readFilters,
  responseInWords,
  toRequest,
  writeFilters,
} from './incidentFilters';

/** The entity's "Vast.ai incident" tab, or undefined for a ref that does not parse. */
function entityTabPath(entityRef: string): string | undefined {
  try {
    const { kind, namespace, name } = parseEntityRef(entityRef);
    return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
      kind.toLocaleLowerCase('en-US'),
    )}/${encodeURIComponent(name)}/vastai-incident`;
  } catch {
    return undefined;
  }
}

function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  options: Array<{ value: string; label: string }>;
  onChange: (value: string) => void;
}) {
  return (
    <TextField
      select
      id={props.id}
      label={props.label}
      value={props.value}
      onChange={event => props.onChange(event.target.value)}
      SelectProps={{ native: true }}
      inputProps={{ 'data-testid': props.id }}
      variant="outlined"
      size="small"
      style={{ minWidth: 180, marginRight: 16 }}
    >
      {props.options.map(option => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </TextField>
  );
}


const STATUS_OPTIONS = [
  { value: 'open', label: 'Open (not resolved)' },
  { value: 'all', label: 'All' },
  ...INCIDENT_STATUSES.map(status => ({ value: status, label: status })),
];
const SEVERITY_OPTIONS = [
  { value: 'all', label: 'All' },
  ...SEVERITIES.map(severity => ({ value: severity, label: severity })),
];

/** The incidents body, without the page chrome. */
export function IncidentsList() {
  const client = useIncidentsClient();
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = readFilters(searchParams);
  // Minute resolution is enough for "due in 12 min".
  const now = useTicker(30_000);

  const { status, severity } = filters;
  const { value, loading, error } = useAsync(
    () => client.list(toRequest({ status, severity })),
    [client, status, severity],
  );

  const setFilter = (change: Partial<PageFilters>) =>
    setSearchParams(writeFilters({ ...filters, ...change }), { replace: true });

  const columns = useMemo<TableColumn<Incident>[]>(
    () => [
      { title: 'Severity', field: 'severity', width: '90px' },
      { title: 'Title', field: 'title' },
      {
        title: 'Entity',
        field: 'entityRef',
        render: incident => {
          const path = entityTabPath(incident.entityRef);
          return path ? (
            <Link to={path}>{incident.entityRef}</Link>
          ) : (
            incident.entityRef
          );
        },
      },
      { title: 'Status', field: 'status' },
      { title: 'Commander', field: 'commander' },
      {
        title: 'Declared at',
        field: 'declaredAt',
        render: incident => formatTime(incident.declaredAt),
      },
      {
        title: 'Response',
        field: 'responseDueAt',
        render: incident => (
          <Typography
            variant="body2"
            color={
              incident.overdue && !incident.respondedAt
                ? 'error'
                : 'textPrimary'
            }
          >
            {responseInWords(incident, now)}
          </Typography>
        ),
      },
    ],
    [now],
  );

  let body;
  if (loading) {
    body = <Progress />;
  } else if (error) {
    body = <ResponseErrorPanel error={error} />;
  } else if (!value || value.length === 0) {
    body = (
      <Typography data-testid="vastai-incidents-empty">
        No incidents match these filters.
      </Typography>
    );
  } else {
    body = (
      <Table<Incident>
        columns={columns}
        data={value}
        options={{ paging: false, search: false, toolbar: false }}
      />
    );
  }

  return (
    <InfoCard title="Incidents across the portal">
      <Box display="flex" mb={2}>
        <FilterSelect
          id="vastai-incidents-status"
          label="Status"
          value={filters.status}
          options={STATUS_OPTIONS}
          onChange={next => setFilter({ status: next as PageFilters['status'] })}
        />
        <FilterSelect
          id="vastai-incidents-severity"
          label="Severity"
          value={filters.severity}
          options={SEVERITY_OPTIONS}
          onChange={next =>
            setFilter({ severity: next as PageFilters['severity'] })
          }
        />
      </Box>
      {body}
    </InfoCard>
  );
}

/** The portal-wide incidents page: every incident the user may read, filtered by status and severity. */
export function VastaiIncidentsPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Vast.ai incidents"
        subtitle="Incidents on every Vast.ai integration you can see"
      />
      <Content>
        <IncidentsList />
      </Content>
    </Page>
  );
}
