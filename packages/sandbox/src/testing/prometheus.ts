/** Real PromQL against the sandbox's Prometheus, and polling helpers (no fixed sleeps). */
import { eventually } from './eventually';

export async function promQuery(
  base: string,
  query: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(
    `${base}/api/v1/query?query=${encodeURIComponent(query)}`,
    { signal: AbortSignal.timeout(5000) },
  );
  const body = await res.json();
  if (body.status !== 'success')
    throw new Error(`prometheus ${query}: ${body.errorType} ${body.error}`);
  return body.data.result;
}

/** The single value of an instant query, or undefined when the result is empty (no data is not zero). */
export async function promValue(
  base: string,
  query: string,
): Promise<number | undefined> {
  const result = await promQuery(base, query);
  if (result.length === 0) return undefined;
  if (result.length > 1)
    throw new Error(`expected one series for ${query}, got ${result.length}`);
  return Number(result[0].value[1]);
}

/** `eventually` with its options spelled out, as the scenario tests call it. */
export function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  return eventually(probe, { what, accept, timeoutMs, intervalMs });
}
