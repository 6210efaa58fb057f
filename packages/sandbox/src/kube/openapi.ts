/**
 * A minimal OpenAPI v3 surface. kubectl's `--validate=strict` (the default for create, replace,
 * apply) looks in `/openapi/v3/<group-version>` for a PATCH operation of the object's kind that
 * declares the `fieldValidation` query parameter; finding it, kubectl validates server-side
 * (`?fieldValidation=Strict`) instead of downloading the whole `/openapi/v2` schema. The same
 * check with `dryRun` gates `--dry-run=server`. No schemas are served: clients that need them
 * (e.g. `kubectl explain`) fall back or fail, which is acceptable for the sandbox.
 */
import { createHash } from 'crypto';
import { RESOURCES, ResourceInfo, groupVersion } from './resources';

const gvPath = (r: { group: string; version: string }) =>
  r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;

function hashOf(gvp: string) {
  return createHash('sha256')
    .update(`sandbox-openapi:${gvp}`)
    .digest('hex')
    .toUpperCase()
    .slice(0, 64);
}

export function openApiV3Index() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const r of RESOURCES) {
    const p = gvPath(r);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(p)}` };
  }
  return { paths };
}

const queryParam = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});

const WRITE_PARAMS = [
  queryParam(
    'dryRun',
    'When present, indicates that modifications should not be persisted.',
  ),
  queryParam(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
  ),
];

function operation(
  r: ResourceInfo,
  verb: string,
  action: string,
  params = WRITE_PARAMS,
) {
  const kind = { group: r.group, version: r.version, kind: r.kind };
  return {
    description: `${verb} ${r.kind}`,
    operationId: `${verb}${r.kind}`,
    parameters: params,
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind,
  };
}

export function openApiV3Document(path: string) {
  const resources = RESOURCES.filter(r => gvPath(r) === path);
  if (!resources.length) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of resources) {
    const prefix = `/${gvPath(r)}${
      r.namespaced ? '/namespaces/{namespace}' : ''
    }/${r.name}`;
    paths[prefix] = {
      get: operation(r, 'list', 'list', []),
      post: operation(r, 'create', 'post'),
    };
    paths[`${prefix}/{name}`] = {
      get: operation(r, 'read', 'get', []),
      put: operation(r, 'replace', 'put'),
      patch: operation(r, 'patch', 'patch', [
        ...WRITE_PARAMS,
        queryParam('force', 'Force is going to "force" Apply requests.'),
      ]),
      delete: operation(r, 'delete', 'delete', [WRITE_PARAMS[0]]),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (sandbox)', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
    'x-sandbox-group-version': groupVersion(resources[0]),
  };
}
