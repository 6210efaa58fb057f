/**
 * Every write that reached the API server, as evidence of what clients did. A Secret's values
 * never enter it: they are masked before the record is kept.
 */
import { deepClone } from './objects';
import { KubeWriteRecord } from './types';

const MAX_WRITES = 2000;

/** Mask Secret values in a recorded request body (data, stringData, JSON-patch values). */
export function maskSecretValues(body: unknown): unknown {
  const mask = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      return v.map(op =>
        op && typeof op === 'object' && 'op' in op && 'value' in op
          ? { ...op, value: '***' }
          : mask(op),
      );
    }
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as object)) {
      if (
        (k === 'data' || k === 'stringData') &&
        val &&
        typeof val === 'object'
      ) {
        out[k] = Object.fromEntries(
          Object.keys(val as object).map(key => [key, '***']),
        );
      } else if (k === 'kubectl.kubernetes.io/last-applied-configuration') {
        out[k] = '***';
      } else out[k] = mask(val);
    }
    return out;
  };
  return mask(body);
}

export class WriteLog {
  private records: KubeWriteRecord[] = [];

  record(record: Omit<KubeWriteRecord, 'at'>) {
    const body =
      record.resource === 'secrets'
        ? maskSecretValues(record.body)
        : record.body;
    this.records.push({
      at: new Date().toISOString(),
      ...record,
      body: deepClone(body ?? null),
    });
    if (this.records.length > MAX_WRITES)
      this.records.splice(0, this.records.length - MAX_WRITES);
  }

  all(): KubeWriteRecord[] {
    return deepClone(this.records);
  }

  clear() {
    this.records = [];
  }
}
