/**
 * Legacy discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) and `/version`.
 * kubectl 1.32 first asks for aggregated discovery (apidiscovery.k8s.io/v2); answered with these
 * plain `application/json` documents it falls back to the legacy per-group requests.
 */
import { createHash } from 'crypto';
import { RESOURCES, apiGroups, groupVersion } from './resources';

export function versionInfo() {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-sandbox',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(g: { name: string; versions: string[] }) {
  const versions = g.versions.map(v => ({
    groupVersion: `${g.name}/${v}`,
    version: v,
  }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList() {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups().map(groupDoc),
  };
}

export function apiGroup(name: string) {
  const g = apiGroups().find(x => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

export function apiResourceList(group: string, version: string) {
  const resources = RESOURCES.filter(
    r => r.group === group && r.version === version,
  );
  if (!resources.length) return undefined;
  const list: Array<Record<string, unknown>> = [];
  for (const r of resources) {
    list.push({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      storageVersionHash: createHash('sha256')
        .update(`${groupVersion(r)}/${r.kind}`)
        .digest('base64')
        .slice(0, 11),
    });
    for (const s of r.subresources ?? []) {
      list.push({
        name: `${r.name}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: list,
  };
}
