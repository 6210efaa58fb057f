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
import {
  INCIDENT_STATUSES,
  Incident,
  SEVERITIES,
} from '@vastai-incident/backstage-plugin-common';
import { useIncidentsApi } from '../../hooks/useIncidents';
import { useMissingEntities } from '../../hooks/useMissingEntities';
import { useNow } from '../../hooks/useNow';
import { formatTime } from '../Incidents/support';
import {
  PageFilters,
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
const FILTERS: Array<{
  key: keyof PageFilters;
  label: string;
  options: Array<{ value: string; label: string }>;
}> = [
  { key: 'status', label: 'Status', options: STATUS_OPTIONS },
  { key: 'severity', label: 'Severity', options: SEVERITY_OPTIONS },
];

/** The incidents body, without the page chrome. */
export function IncidentsList() {
  const api = useIncidentsApi();
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = readFilters(searchParams);
  // Minute resolution is enough for "due in 12 min".
  const now = useNow(30_000);

  const { status, severity } = filters;
  const { value, loading, error } = useAsync(
    () => api.list(toRequest({ status, severity })),
    [api, status, severity],
  );

  // A filter takes only the values of its options.
  const setFilter = (change: Partial<Record<keyof PageFilters, string>>) =>
    setSearchParams(writeFilters({ ...filters, ...change } as PageFilters), {
      replace: true,
    });

  const missing = useMissingEntities(
    (value ?? []).map(incident => incident.entityRef),
  );

  const columns = useMemo<TableColumn<Incident>[]>(
    () => [
      { title: 'Severity', field: 'severity', width: '90px' },
      { title: 'Title', field: 'title' },
      {
        title: 'Entity',
        field: 'entityRef',
        render: incident => {
          if (missing.has(incident.entityRef)) {
            // The incident stays on record; only its entity's page is gone.
            return (
              <span data-testid="vastai-incident-entity-missing">
                {incident.entityRef}{' '}
                <Typography component="span" variant="caption">
                  (no longer in the catalog)
                </Typography>
              </span>
            );
          }
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
    [now, missing],
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
        // Not draggable: a drag handle inside each sort button nests two controls, which
        // screen readers and keyboards cannot tell apart.
        options={{
          paging: false,
          search: false,
          toolbar: false,
          draggable: false,
        }}
      />
    );
  }

  return (
    <InfoCard title="Incidents across the portal">
      <Box display="flex" mb={2}>
        {FILTERS.map(filter => (
          <FilterSelect
            key={filter.key}
            id={`vastai-incidents-${filter.key}`}
            label={filter.label}
            value={filters[filter.key]}
            options={filter.options}
            onChange={next => setFilter({ [filter.key]: next })}
          />
        ))}
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
