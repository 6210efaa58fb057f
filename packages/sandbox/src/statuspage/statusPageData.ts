/** Statuspage v2 public JSON (summary/status/incidents), built from a small per-scenario description. */

export type Indicator = 'none' | 'minor' | 'major' | 'critical';
export type ComponentStatus =
  | 'operational'
  | 'degraded_performance'
  | 'partial_outage'
  | 'major_outage'
  | 'under_maintenance';
export type IncidentStatus =
  | 'investigating'
  | 'identified'
  | 'monitoring'
  | 'resolved'
  | 'postmortem';

export interface IncidentSpec {
  name: string;
  status: IncidentStatus;
  impact: Indicator;
  /** Components touched, by name, with their status during the incident. */
  components: Record<string, ComponentStatus>;
  /** Seconds before "now" at which it started (and, for resolved ones, how long it lasted). */
  startedSecondsAgo: number;
  resolvedSecondsAgo?: number;
  updates: Array<{ status: IncidentStatus; body: string; secondsAgo: number }>;
}

export interface StatusPageSpec {
  indicator: Indicator;
  description: string;
  components: Record<string, ComponentStatus>;
  incidents: IncidentSpec[];
}

const PAGE = {
  id: 'vst4sndbx01',
  name: 'Vast.ai',
  url: 'https://status.vast.ai',
  time_zone: 'Etc/UTC',
};

export const COMPONENT_NAMES = [
  'API',
  'Console',
  'Instance provisioning',
  'Billing',
] as const;

const componentId = (name: string) =>
  `cmp${Buffer.from(name).toString('hex').slice(0, 10)}`;

function operationalComponents(): Record<string, ComponentStatus> {
  return Object.fromEntries(
    COMPONENT_NAMES.map(n => [n, 'operational' as ComponentStatus]),
  );
}

export function specFor(
  overrides: Partial<StatusPageSpec> = {},
): StatusPageSpec {
  return {
    indicator: 'none',
    description: 'All Systems Operational',
    components: { ...operationalComponents(), ...(overrides.components ?? {}) },
    incidents: overrides.incidents ?? [],
    ...(overrides.indicator ? { indicator: overrides.indicator } : {}),
    ...(overrides.description ? { description: overrides.description } : {}),
  };
}

/** Renders the spec as of `enteredAt` (times are relative to when the scenario was entered). */
export function renderStatusPage(spec: StatusPageSpec, enteredAt: number) {
  const iso = (secondsAgo: number) =>
    new Date(enteredAt - secondsAgo * 1000).toISOString();
  const pageUpdated = iso(0);
  const components = Object.entries(spec.components).map(
    ([name, status], position) => ({
      id: componentId(name),
      name,
      status,
      created_at: '2021-03-01T00:00:00.000Z',
      updated_at: pageUpdated,
      position: position + 1,
      description: null,
      showcase: true,
      start_date: '2021-03-01',
      group_id: null,
      page_id: PAGE.id,
      group: false,
      only_show_if_degraded: false,
    }),
  );
  const incidents = spec.incidents.map((inc, i) => {
    const id = `inc${(enteredAt / 1000).toFixed(0)}${i}`;
    return {
      id,
      name: inc.name,
      status: inc.status,
      created_at: iso(inc.startedSecondsAgo),
      updated_at: iso(Math.min(...inc.updates.map(u => u.secondsAgo))),
      monitoring_at: inc.updates.find(u => u.status === 'monitoring')
        ? iso(inc.updates.find(u => u.status === 'monitoring')!.secondsAgo)
        : null,
      resolved_at:
        inc.resolvedSecondsAgo !== undefined
          ? iso(inc.resolvedSecondsAgo)
          : null,
      impact: inc.impact,
      shortlink: `https://stspg.io/${id.slice(-6)}`,
      started_at: iso(inc.startedSecondsAgo),
      page_id: PAGE.id,
      incident_updates: [...inc.updates]
        .sort((a, b) => a.secondsAgo - b.secondsAgo)
        .map((u, j) => ({
          id: `${id}u${j}`,
          status: u.status,
          body: u.body,
          incident_id: id,
          created_at: iso(u.secondsAgo),
          updated_at: iso(u.secondsAgo),
          display_at: iso(u.secondsAgo),
          affected_components: Object.entries(inc.components).map(
            ([name, status]) => ({
              code: componentId(name),
              name,
              old_status: 'operational',
              new_status: status,
            }),
          ),
          deliver_notifications: true,
          custom_tweet: null,
          tweet_id: null,
        })),
      components: components.filter(c => c.name in inc.components),
    };
  });
  const unresolved = incidents.filter(
    i => i.status !== 'resolved' && i.status !== 'postmortem',
  );
  const page = { ...PAGE, updated_at: pageUpdated };
  const status = { indicator: spec.indicator, description: spec.description };
  return {
    summary: {
      page,
      components,
      incidents: unresolved,
      scheduled_maintenances: [],
      status,
    },
    status: { page, status },
    incidents: { page, incidents },
    unresolved: { page, incidents: unresolved },
    components: { page, components },
  };
}
