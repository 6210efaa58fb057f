/**
 * Just enough of the Kubernetes protobuf encoding to accept what kubectl's typed clients send:
 * `kubectl create secret|configmap|namespace` POST `application/vnd.kubernetes.protobuf` bodies
 * (a `k8s\0` magic, then a runtime.Unknown wrapping the object). Other kinds are refused with
 * 415, as a server without protobuf support would.
 */
import { ApiError } from './errors';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = { no: number; wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, start: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let pos = start;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      out.push({ no, wire, value: v });
      pos = p2;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ no, wire, value: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const str = (f: Field) => (f.value as Buffer).toString('utf8');

function mapEntry(f: Field): [string, Buffer] {
  let key = '';
  let value = Buffer.alloc(0);
  for (const e of fields(f.value as Buffer)) {
    if (e.no === 1) key = str(e);
    if (e.no === 2) value = e.value as Buffer;
  }
  return [key, value];
}

function objectMeta(buf: Buffer) {
  const meta: Record<string, any> = {};
  for (const f of fields(buf)) {
    if (f.wire !== 2) continue;
    const s = str(f);
    if (f.no === 1 && s) meta.name = s;
    if (f.no === 2 && s) meta.generateName = s;
    if (f.no === 3 && s) meta.namespace = s;
    if (f.no === 6 && s) meta.resourceVersion = s;
    if (f.no === 11 || f.no === 12) {
      const [k, v] = mapEntry(f);
      const key = f.no === 11 ? 'labels' : 'annotations';
      meta[key] = { ...(meta[key] ?? {}), [k]: v.toString('utf8') };
    }
    if (f.no === 14) meta.finalizers = [...(meta.finalizers ?? []), s];
  }
  return meta;
}

function decodeObject(
  apiVersion: string,
  kind: string,
  raw: Buffer,
): Record<string, any> {
  const obj: Record<string, any> = { apiVersion, kind };
  for (const f of fields(raw)) {
    if (f.no === 1 && f.wire === 2) {
      obj.metadata = objectMeta(f.value as Buffer);
      continue;
    }
    if (kind === 'Secret') {
      if (f.no === 2) {
        const [k, v] = mapEntry(f);
        obj.data = { ...(obj.data ?? {}), [k]: v.toString('base64') };
      } else if (f.no === 3 && str(f)) obj.type = str(f);
      else if (f.no === 4) {
        const [k, v] = mapEntry(f);
        obj.stringData = { ...(obj.stringData ?? {}), [k]: v.toString('utf8') };
      } else if (f.no === 5) obj.immutable = f.value === 1n;
    } else if (kind === 'ConfigMap') {
      if (f.no === 2) {
        const [k, v] = mapEntry(f);
        obj.data = { ...(obj.data ?? {}), [k]: v.toString('utf8') };
      } else if (f.no === 3) {
        const [k, v] = mapEntry(f);
        obj.binaryData = {
          ...(obj.binaryData ?? {}),
          [k]: v.toString('base64'),
        };
      } else if (f.no === 4) obj.immutable = f.value === 1n;
    }
    // Namespace: spec and status are defaulted by the store
  }
  obj.metadata = obj.metadata ?? {};
  return obj;
}

const SUPPORTED = new Set(['Secret', 'ConfigMap', 'Namespace']);

export function decodeKubernetesProtobuf(body: Buffer): Record<string, any> {
  const unsupported = (why: string) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${why}) - accepted media types include: application/json, application/yaml`,
    );
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw unsupported('no protobuf envelope');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  try {
    for (const f of fields(body.subarray(4))) {
      if (f.no === 1 && f.wire === 2) {
        for (const t of fields(f.value as Buffer)) {
          if (t.no === 1) apiVersion = str(t);
          if (t.no === 2) kind = str(t);
        }
      }
      if (f.no === 2 && f.wire === 2) raw = f.value as Buffer;
    }
    if (!SUPPORTED.has(kind) || apiVersion !== 'v1' || !raw)
      throw unsupported(`protobuf for ${kind || 'unknown kind'}`);
    return decodeObject(apiVersion, kind, raw);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw unsupported('malformed protobuf');
  }
}
