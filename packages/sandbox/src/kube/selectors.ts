/**
 * Label and field selectors as the API server parses them from query strings.
 * Label: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
 * Field: `path=value`, `path==value`, `path!=value` on dotted object paths.
 */

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

export class SelectorError extends Error {}

/** Split on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map(t => t.trim()).filter(Boolean);
}

export function parseLabelSelector(
  selector: string | undefined | null,
): Requirement[] {
  if (!selector) return [];
  return splitTerms(selector).map(term => {
    let m = term.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/);
    if (m) {
      return {
        key: m[1],
        op: m[2] as 'in' | 'notin',
        values: m[3]
          .split(',')
          .map(v => v.trim())
          .filter(v => v !== ''),
      };
    }
    m = term.match(/^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/);
    if (m) {
      return { key: m[1], op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]] };
    }
    m = term.match(/^!\s*([^\s!=]+)$/);
    if (m) return { key: m[1], op: '!exists' };
    m = term.match(/^([^\s!=()]+)$/);
    if (m) return { key: m[1], op: 'exists' };
    throw new SelectorError(`unable to parse requirement: ${term}`);
  });
}

export function matchesLabels(
  labels: Record<string, string> | undefined,
  requirements: Requirement[],
): boolean {
  const l = labels ?? {};
  return requirements.every(req => {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    switch (req.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && req.values.includes(l[req.key]);
      case 'notin':
        return !has || !req.values.includes(l[req.key]);
      default:
        return false;
    }
  });
}

/** A `{a: b}` map (matchLabels, or the store API's simple selector) as requirements. */
export function requirementsFromMap(
  map: Record<string, string> | undefined,
): Requirement[] {
  return Object.entries(map ?? {}).map(([key, v]) => ({
    key,
    op: 'in' as const,
    values: [v],
  }));
}

/** A LabelSelector object (`matchLabels` + `matchExpressions`) as requirements. */
export function requirementsFromLabelSelector(sel: any): Requirement[] {
  const reqs = requirementsFromMap(sel?.matchLabels);
  for (const e of sel?.matchExpressions ?? []) {
    const op = String(e.operator);
    if (op === 'In')
      reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (op === 'NotIn')
      reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (op === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else if (op === 'DoesNotExist') reqs.push({ key: e.key, op: '!exists' });
  }
  return reqs;
}

/** Render a LabelSelector object the way kubectl prints it (`app=x,tier in (a,b)`). */
export function formatLabelSelector(sel: any): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(
    ([k, v]) => `${k}=${v}`,
  );
  for (const e of sel?.matchExpressions ?? []) {
    const op = String(e.operator);
    if (op === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (op === 'NotIn')
      parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (op === 'Exists') parts.push(e.key);
    else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',') || '<none>';
}

export interface FieldRequirement {
  path: string;
  value: string;
  negate: boolean;
}

export function parseFieldSelector(
  selector: string | undefined | null,
): FieldRequirement[] {
  if (!selector) return [];
  return splitTerms(selector).map(term => {
    const m = term.match(/^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m)
      throw new SelectorError(
        `invalid selector: '${term}'; can't understand '${term}'`,
      );
    return { path: m[1], value: m[3].trim(), negate: m[2] === '!=' };
  });
}

function fieldValue(obj: any, path: string): string {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return '';
    cur = cur[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchesFields(
  obj: unknown,
  requirements: FieldRequirement[],
): boolean {
  return requirements.every(
    req => (fieldValue(obj, req.path) === req.value) !== req.negate,
  );
}
