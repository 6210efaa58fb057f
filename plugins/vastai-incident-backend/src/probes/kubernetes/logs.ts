import type {
  LogLine,
  LogsResponse,
} from '@vastai-incident/backstage-plugin-common';
import type { IntegrationKubernetesConfig } from '../../config';
import type { KubernetesReader } from './client';
import { selectorOf } from './kubernetesProbe';

/** Keywords of trouble, for lines that carry no log level. */
const ERROR_WORDS =
  /\b(error|errors|exception|fatal|panic|failed|failure|critical|traceback|unauthorized|forbidden|refused|timed? ?out)\b|\b(401|403|429|50[0-4])\b/i;
/** `level=info`, `"level":"warn"`, `lvl: error` (structured logs). */
const STRUCTURED_LEVEL =
  /\b(?:level|lvl|severity)["']?\s*[=:]\s*["']?([A-Za-z]+)/i;
/** `INFO ...`, `[WARN] ...` near the start of a plain line. */
const PLAIN_LEVEL =
  /^\W{0,3}(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC)\b/;
const ERROR_LEVELS = new Set([
  'error',
  'err',
  'fatal',
  'critical',
  'crit',
  'panic',
  'alert',
  'emerg',
  'emergency',
]);

/**
 * Lines a person hunting an incident wants. A line that states its level is judged by it
 * (`level=info msg="... failed=0"` is not an error); other lines by keywords.
 */
export function isErrorLine(text: string): boolean {
  const level = STRUCTURED_LEVEL.exec(text)?.[1] ?? PLAIN_LEVEL.exec(text)?.[1];
  if (level) return ERROR_LEVELS.has(level.toLowerCase());
  return ERROR_WORDS.test(text);
}

export interface LogBounds {
  /** Pods read at most. */
  maxPods: number;
  /** Lines returned at most (the most recent win). */
  maxLines: number;
  /** Bytes of returned text at most. */
  maxBytes: number;
  /** One line's length at most. */
  maxLineLength: number;
  /** Bytes read from the API per pod. */
  perPodLimitBytes: number;
}

export const DEFAULT_LOG_BOUNDS: LogBounds = {
  maxPods: 5,
  maxLines: 200,
  maxBytes: 64 * 1024,
  maxLineLength: 500,
  perPodLimitBytes: 256 * 1024,
};

/** `2026-11-28T22:00:00.123456789Z text` -> time and text (logs are read with timestamps). */
export function splitTimestamp(line: string): { time?: string; text: string } {
  const match =
    /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s(.*)$/.exec(
      line,
    );
  return match ? { time: match[1], text: match[2] } : { text: line };
}

export interface ReadErrorLogsOptions {
  reader: KubernetesReader;
  target: IntegrationKubernetesConfig;
  sinceMinutes: number;
  redact: (text: string) => string;
  bounds?: Partial<LogBounds>;
}

/**
 * Error lines of the deployment's pods over the last minutes: bounded in pods, lines and bytes,
 * every line redacted before it leaves this function.
 */
export async function readErrorLogs(
  options: ReadErrorLogsOptions,
): Promise<LogsResponse> {
  const bounds = { ...DEFAULT_LOG_BOUNDS, ...options.bounds };
  const { reader, target } = options;
  const deployment = await reader.readDeployment(
    target.namespace,
    target.deployment,
  );
  const pods = (await reader.listPods(target.namespace, selectorOf(deployment)))
    .map(p => p.metadata?.name)
    .filter((n): n is string => !!n)
    .sort()
    .slice(0, bounds.maxPods);
  const container =
    target.container ?? deployment.spec?.template?.spec?.containers?.[0]?.name;

  let truncated = false;
  const perPod = await Promise.all(
    pods.map(async pod => {
      let raw: string;
      try {
        raw = await reader.readPodLog(target.namespace, pod, {
          container,
          sinceSeconds: options.sinceMinutes * 60,
          tailLines: 5000,
          limitBytes: bounds.perPodLimitBytes,
        });
      } catch {
        // A crashing pod may have no current log; the others still count.
        return [] as LogLine[];
      }
      if (Buffer.byteLength(raw) >= bounds.perPodLimitBytes) truncated = true;
      return raw
        .split('\n')
        .filter(line => line.trim() && isErrorLine(splitTimestamp(line).text))
        .map(line => {
          const { time, text } = splitTimestamp(line);
          let clean = options.redact(text);
          if (clean.length > bounds.maxLineLength) {
            clean = `${clean.slice(0, bounds.maxLineLength)}…`;
          }
          return { pod, container, time, text: clean } as LogLine;
        });
    }),
  );

  const all = perPod
    .flat()
    .sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  // Keep the most recent lines within both bounds.
  const lines: LogLine[] = [];
  let bytes = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    const size = Buffer.byteLength(all[i].text) + all[i].pod.length + 40;
    if (lines.length >= bounds.maxLines || bytes + size > bounds.maxBytes) {
      truncated = true;
      break;
    }
    bytes += size;
    lines.push(all[i]);
  }
  lines.reverse();
  return { lines, truncated, sinceMinutes: options.sinceMinutes };
}
