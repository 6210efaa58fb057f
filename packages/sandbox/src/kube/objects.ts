/**
 * Object storage with a global, increasing resourceVersion and a bounded event history, so a
 * watch that starts from a list's resourceVersion sees every change after it (what kubectl's
 * informers rely on). Also the small JSON helpers every part of the cluster uses.
 */
import { KubeObject } from './types';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  rv: number;
  type: WatchEventType;
  /** storage key of the kind */
  kind: string;
  object: KubeObject;
}

const HISTORY_LIMIT = 5000;

export const deepClone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** A timestamp as the API server writes them: RFC 3339, whole seconds. */
export const isoSeconds = (at: number | Date = Date.now()): string =>
  new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** JSON with sorted keys, so two objects compare equal whatever their key order. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map(k => `${JSON.stringify(k)}:${stableStringify((v as any)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Nulls decode to zero values (and vanish) in the real API server: `creationTimestamp: null` ... */
export function pruneNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(pruneNulls) as unknown as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as object))
      if (val !== null) out[k] = pruneNulls(val);
    return out as T;
  }
  return v;
}

/** A Secret's `data` decoded to strings. */
export function decodeSecretData(secret: KubeObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries((secret.data ?? {}) as Record<string, string>).map(
      ([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')],
    ),
  );
}

/** Strings encoded as a Secret's `data`. */
export function encodeSecretData(
  data: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [
      k,
      Buffer.from(v).toString('base64'),
    ]),
  );
}

/** `namespace/name`: how pods are keyed outside the object table (runtime state, logs). */
export const objectKey = (o: KubeObject): string =>
  `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ObjectTable {
  private readonly byKind = new Map<string, Map<string, KubeObject>>();
  private rv = 1000;
  private history: StoredEvent[] = [];
  private readonly listeners = new Set<(e: StoredEvent) => void>();

  get resourceVersion(): string {
    return String(this.rv);
  }

  /** The oldest resourceVersion a watch can start from. */
  get oldestWatchable(): number {
    return this.history.length ? this.history[0].rv - 1 : this.rv;
  }

  private table(kind: string) {
    let t = this.byKind.get(kind);
    if (!t) {
      t = new Map();
      this.byKind.set(kind, t);
    }
    return t;
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.byKind.get(kind)?.get(`${namespace}/${name}`);
  }

  list(kind: string, namespace?: string): KubeObject[] {
    const all = [...(this.byKind.get(kind)?.values() ?? [])];
    const filtered = namespace
      ? all.filter(o => (o.metadata.namespace ?? '') === namespace)
      : all;
    return filtered.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  /** Store (add or replace) an object, giving it the next resourceVersion. */
  put(kind: string, obj: KubeObject): KubeObject {
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const t = this.table(kind);
    const type: WatchEventType = t.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = deepClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    t.set(key, stored);
    this.emit({ rv: this.rv, type, kind, object: stored });
    return stored;
  }

  remove(
    kind: string,
    namespace: string,
    name: string,
  ): KubeObject | undefined {
    const t = this.byKind.get(kind);
    const key = `${namespace}/${name}`;
    const existing = t?.get(key);
    if (!t || !existing) return undefined;
    t.delete(key);
    const gone = deepClone(existing);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', kind, object: gone });
    return gone;
  }

  /** Delete every object (watchers see DELETED events; resourceVersions keep increasing). */
  removeAll() {
    for (const [kind, table] of this.byKind) {
      for (const obj of [...table.values()])
        this.remove(kind, obj.metadata.namespace ?? '', obj.metadata.name);
    }
  }

  private emit(e: StoredEvent) {
    this.history.push(e);
    if (this.history.length > HISTORY_LIMIT)
      this.history.splice(0, this.history.length - HISTORY_LIMIT);
    for (const l of [...this.listeners]) l(e);
  }

  /** Events after `sinceRv` still in history (oldest first). */
  eventsSince(sinceRv: number): StoredEvent[] {
    return this.history.filter(e => e.rv > sinceRv);
  }

  subscribe(listener: (e: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
