import { EntityProvider } from '@backstage/plugin-catalog-react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { Entity } from '@backstage/catalog-model';
import type { FetchApi } from '@backstage/frontend-plugin-api';
import { ReactElement } from 'react';
import { IncidentsApi, incidentsApiRef } from '../api/IncidentsApi';
import { IncidentsClient } from '../api/IncidentsClient';
import { PluginBackendOptions } from '../api/PluginBackendClient';
import { RemediationApi, remediationApiRef } from '../api/RemediationApi';
import { RemediationClient } from '../api/RemediationClient';
import {
  VastaiIncidentApi,
  vastaiIncidentApiRef,
} from '../api/VastaiIncidentApi';
import { annotatedEntity } from './fixtures';

/** Where the test discovery API puts the plugin's backend. */
export const TEST_BACKEND_URL = 'http://backend/api/vastai-incident';

/** The discovery and fetch APIs of a client under test: every request goes to `fetch`. */
export function testBackendOptions(
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>,
): PluginBackendOptions {
  return {
    discoveryApi: { getBaseUrl: async id => `http://backend/api/${id}` },
    fetchApi: { fetch: fetch as FetchApi['fetch'] },
  };
}

/** The real incident and remediation clients over a fake backend, as API pairs of a test app. */
export function clientApis(
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>,
) {
  const options = testBackendOptions(fetch);
  return [
    [incidentsApiRef, new IncidentsClient(options)],
    [remediationApiRef, new RemediationClient(options)],
  ] as const;
}

/** The incident and remediation APIs of a test that is not about them: nothing declared, nothing run. */
export const quietPanelApis = [
  [incidentsApiRef, { list: async () => [] } as Partial<IncidentsApi>],
  [
    remediationApiRef,
    {
      getHistory: async () => ({ entityRef: '', entries: [] }),
    } as Partial<RemediationApi>,
  ],
] as const;

/** Renders `element` on an entity's page, its Vast.ai data from `api`. */
export function renderOnEntity(
  element: ReactElement,
  api: VastaiIncidentApi,
  entity: Entity = annotatedEntity,
) {
  return renderInTestApp(
    <EntityProvider entity={entity}>{element}</EntityProvider>,
    { apis: [[vastaiIncidentApiRef, api], ...quietPanelApis] },
  );
}

// The mock permission API's decisions, typed without importing plugin-permission-common here.
type PermissionMockOptions = NonNullable<
  Parameters<typeof mockApis.permission>[0]
>;
type Decision = ReturnType<
  Extract<PermissionMockOptions['authorize'], (...args: any[]) => any>
>;

/** A permission API pair of a test app: allows a permission when `allow(name)` says so. */
export function permissionApiAllowing(
  allow: (permissionName: string) => boolean,
) {
  return [
    permissionApiRef,
    mockApis.permission({
      authorize: req =>
        (allow(req.permission.name) ? 'ALLOW' : 'DENY') as unknown as Decision,
    }),
  ] as const;
}
