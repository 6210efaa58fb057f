/** What a removed secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** Names of fields whose value is a secret (`x-api-key`, `DB_PASSWORD`, `session_token` ...). */
const SECRET_NAME =
  /api[_-]?key|apikey|access[_-]?key|secret|token|password|passwd|pwd|authorization|credential|private[_-]?key|session|cookie/i;

// Every pattern runs in time linear in the text (each run of name characters is tried once,
// from its start), so a hostile log line or upstream body cannot stall the redactor.
const SECRET_PATTERNS: Array<
  [RegExp, (match: string, ...groups: string[]) => string]
> = [
  // Authorization headers and bearer tokens, in any casing.
  [
    /\b(Bearer|OAuth|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi,
    (_match, scheme) => `${scheme} ${REDACTED}`,
  ],
  // key=value, key: value and "key": "value" where the key names a secret: the value goes.
  [
    /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(["']?\s*[:=]\s*["']?)(?!\[REDACTED\])([^"'\s,;&}\]]+)/g,
    (match, name, separator) =>
      SECRET_NAME.test(name) ? `${name}${separator}${REDACTED}` : match,
  ],
  // Long opaque strings (hex, base64, JWT-like) that look like keys even without a name.
  [/\b[A-Fa-f0-9]{32,}\b/g, () => REDACTED],
  [
    /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]+)?/g,
    () => REDACTED,
  ],
  // Base64 with `/` and base64url with `-`, told apart from URL paths and kebab-case names by
  // their mix of upper case, lower case and digits (judged once per run, from its start).
  [
    /(?<![A-Za-z0-9+/_-])(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[a-z])(?=[A-Za-z0-9+/_-]*[A-Z])[A-Za-z0-9+/_-]{40,}={0,2}/g,
    () => REDACTED,
  ],
  // Opaque tokens: 40+ letters and digits, with the base64 extras (`+`, `_`, `=` padding).
  [
    /(?<![A-Za-z0-9+_])(?=[A-Za-z0-9+_]*\d)(?=[A-Za-z0-9+_]*[A-Za-z])[A-Za-z0-9+_]{40,}={0,2}/g,
    () => REDACTED,
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
