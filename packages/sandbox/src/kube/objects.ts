/**
 * Object storage with a global, increasing resourceVersion and a bounded event history, so a
 * watch that starts from a list's resourceVersion sees every change after it (what kubectl's
 * informers rely on).
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
