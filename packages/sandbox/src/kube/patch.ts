/**
 * The three PATCH flavours of the Kubernetes API:
 * - JSON merge patch (RFC 7386)
 * - JSON patch (RFC 6902, via fast-json-patch)
 * - strategic merge patch, with the merge keys and directives kubectl sends
 *   (`$patch`, `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`).
 */
import { applyPatch, JsonPatchError, Operation } from 'fast-json-patch';

export class PatchError extends Error {
  constructor(message: string, readonly code: 400 | 422 = 422) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const clone = <T>(v: T): T =>
  v === undefined ? v : JSON.parse(JSON.stringify(v));

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: Record<string, any> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw new PatchError('json patch must be an array of operations', 400);
  try {
    return applyPatch(clone(target), ops as Operation[], true, false)
      .newDocument;
  } catch (e) {
    if (e instanceof JsonPatchError) {
      throw new PatchError(
        `the server rejected our request due to an error in our request: ${
          e.name
        }: ${e.message.split('\n')[0]}`,
      );
    }
    throw new PatchError(String((e as Error).message));
  }
}

/**
 * Merge keys of list fields (by field name; the names are unambiguous in the types we serve).
 * Lists not listed here are atomic (replaced), except `finalizers`, a merged set of primitives.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  resourceClaims: 'name',
  topologySpreadConstraints: 'topologyKey',
};
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, list: unknown[]): string | undefined {
  if (field === 'ports') {
    // container ports merge by containerPort, service ports by port
    const sample = list.find(isObject) as Record<string, any> | undefined;
    if (sample && 'containerPort' in sample) return 'containerPort';
    if (sample && 'port' in sample) return 'port';
    return 'containerPort';
  }
  return MERGE_KEYS[field];
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch))
    throw new PatchError('strategic merge patch must be a JSON object', 400);
  return mergeMap(isObject(target) ? clone(target) : {}, patch);
}

function mergeMap(
  original: Record<string, any>,
  patch: Record<string, any>,
): any {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const { $patch, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'merge') {
    throw new PatchError(
      `Unknown patch type: ${directive} in map: ${JSON.stringify(patch)}`,
      400,
    );
  }

  const result: Record<string, any> = { ...original };
  const orders: Record<string, unknown[]> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) {
      orders[key.slice('$setElementOrder/'.length)] = value as unknown[];
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) {
        result[field] = result[field].filter(
          (x: unknown) => !value.includes(x),
        );
      }
      continue;
    }
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const merged = mergeMap(isObject(result[key]) ? result[key] : {}, value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(
        key,
        Array.isArray(result[key]) ? result[key] : [],
        value,
      );
    } else {
      result[key] = value;
    }
  }

  for (const [field, order] of Object.entries(orders)) {
    if (Array.isArray(result[field]))
      result[field] = applyOrder(field, result[field], order);
  }

  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const key of Object.keys(result))
      if (!keep.has(key)) delete result[key];
  }
  return result;
}

function mergeList(field: string, original: any[], patch: any[]): any[] {
  // `[{"$patch": "replace"}, ...items]` replaces the whole list
  if (patch.some(x => isObject(x) && x.$patch === 'replace')) {
    return patch
      .filter(x => !(isObject(x) && x.$patch === 'replace'))
      .map(stripDirectives);
  }
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every(x => !isObject(x))) {
    const out = [...original];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const key = mergeKeyFor(field, patch.length ? patch : original);
  if (!key || !patch.every(isObject)) return patch.map(stripDirectives);

  const result = original.map(x => clone(x));
  for (const item of patch) {
    const k = item[key];
    if (k === undefined)
      throw new PatchError(
        `map: ${JSON.stringify(
          item,
        )} does not contain declared merge key: ${key}`,
        400,
      );
    const idx = result.findIndex(x => isObject(x) && x[key] === k);
    if (item.$patch === 'delete') {
      if (idx >= 0) result.splice(idx, 1);
      continue;
    }
    if (idx >= 0) result[idx] = mergeMap(result[idx], item);
    else result.push(mergeMap({}, item));
  }
  return result;
}

function applyOrder(field: string, list: any[], order: unknown[]): any[] {
  const key = mergeKeyFor(field, list);
  const keyOf = (x: any) => (key && isObject(x) ? x[key] : x);
  const orderKeys = order.map(o => (key && isObject(o) ? (o as any)[key] : o));
  const rank = (x: any) => {
    const i = orderKeys.indexOf(keyOf(x));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return list
    .map((x, i) => ({ x, i }))
    .sort((a, b) => rank(a.x) - rank(b.x) || a.i - b.i)
    .map(({ x }) => x);
}

function stripDirectives(v: any): any {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, any> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(val);
  }
  return out;
}

export type PatchType = 'strategic' | 'merge' | 'json';

export function patchTypeOf(
  contentType: string | undefined,
): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/json-patch+json') return 'json';
  return undefined;
}

export function applyPatchOfType(
  type: PatchType,
  target: unknown,
  body: unknown,
): unknown {
  if (type === 'json') return jsonPatch(target, body);
  if (type === 'merge') {
    if (!isObject(body))
      throw new PatchError('merge patch must be a JSON object', 400);
    return mergePatch(target, body);
  }
  return strategicMergePatch(target, body);
}
