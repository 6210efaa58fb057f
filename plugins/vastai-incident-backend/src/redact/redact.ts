/** What a removed secret is replaced with. */
export const REDACTED = '[REDACTED]';

// Each pattern keeps its leading group (the name) and replaces only the value.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // Authorization headers and bearer tokens, in any casing.
  [/\b(Bearer|OAuth|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  // key=value, key: value and "key": "value" where the key names a secret.
  [
    /((?:["']?)(?:[A-Za-z0-9_.-]*?)(?:api[_-]?key|apikey|access[_-]?key|secret|token|password|passwd|pwd|authorization|credential|private[_-]?key|session|cookie)(?:[A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?)(?!\[REDACTED\])([^"'\s,;&}\]]+)/gi,
    `$1${REDACTED}`,
  ],
  // Long opaque strings (hex, base64, JWT-like) that look like keys even without a name.
  [/\b[A-Fa-f0-9]{32,}\b/g, REDACTED],
  [
    /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]+)?/g,
    REDACTED,
  ],
  [
    /\b(?=[A-Za-z0-9+/_]*\d)(?=[A-Za-z0-9+/_]*[A-Za-z])[A-Za-z0-9+/_]{40,}={0,2}/g,
    REDACTED,
  ],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every form in which a known secret could show up in text. */
function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  forms.add(Buffer.from(secret, 'utf8').toString('base64'));
  forms.add(Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''));
  forms.add(Buffer.from(secret, 'utf8').toString('base64url'));
  forms.add(encodeURIComponent(secret));
  return [...forms].filter(form => form.length >= 4);
}

/**
 * A redactor that removes the given known secrets (in plain, base64 and URL-encoded form) and
 * anything that looks like a secret.
 */
export function createRedactor(knownSecrets: Array<string | undefined> = []) {
  const known = knownSecrets
    .filter((s): s is string => typeof s === 'string' && s.length >= 4)
    .flatMap(secretForms)
    .sort((a, b) => b.length - a.length);
  const knownPattern = known.length
    ? new RegExp(known.map(escapeRegExp).join('|'), 'g')
    : undefined;

  return (text: string): string => {
    let out = knownPattern ? text.replace(knownPattern, REDACTED) : text;
    for (const [pattern, replacement] of SECRET_PATTERNS) {
      out = out.replace(pattern, replacement);
    }
    return out;
  };
}

const genericRedactor = createRedactor();

/** Removes anything that looks like a secret (no known secret values). */
export function redactText(text: string): string {
  return genericRedactor(text);
}
