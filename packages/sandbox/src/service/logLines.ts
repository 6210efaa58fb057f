/** logfmt, the format of the company's services: `time=... level=error msg="..." key=value`. */
function logfmtValue(value: unknown): string {
  const s = value === undefined || value === null ? '' : String(value);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

export function formatLogLine(
  time: Date,
  level: string,
  msg: string,
  fields: Record<string, unknown>,
): string {
  const parts = [
    `time=${time.toISOString()}`,
    `level=${level}`,
    `logger=vastai.client`,
    `msg=${logfmtValue(msg)}`,
  ];
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) parts.push(`${k}=${logfmtValue(v)}`);
  }
  return parts.join(' ');
}
