/**
 * Container logs per pod: the current instance and the previous (crashed) one, with the time of
 * each line so `sinceSeconds`/`sinceTime`, `tailLines`, `timestamps` and `limitBytes` work.
 */

export interface LogLine {
  time: Date;
  text: string;
}

export interface LogQuery {
  previous?: boolean;
  sinceSeconds?: number;
  sinceTime?: Date;
  tailLines?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

const MAX_LINES = 5000;

/** RFC 3339 with nanoseconds, as the kubelet prints `--timestamps`. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

interface ContainerLogs {
  current: LogLine[];
  previous?: LogLine[];
}

export class PodLogs {
  private readonly logs = new Map<string, Map<string, ContainerLogs>>();
  private readonly followers = new Set<{
    pod: string;
    container: string;
    fn: (l: LogLine) => void;
  }>();

  private entry(podKey: string, container: string): ContainerLogs {
    let pod = this.logs.get(podKey);
    if (!pod) {
      pod = new Map();
      this.logs.set(podKey, pod);
    }
    let c = pod.get(container);
    if (!c) {
      c = { current: [] };
      pod.set(container, c);
    }
    return c;
  }

  append(podKey: string, container: string, text: string, time = new Date()) {
    const c = this.entry(podKey, container);
    const line = { time, text };
    c.current.push(line);
    if (c.current.length > MAX_LINES)
      c.current.splice(0, c.current.length - MAX_LINES);
    for (const f of this.followers)
      if (f.pod === podKey && f.container === container) f.fn(line);
  }

  /** The container restarted: the current instance's log becomes the previous one. */
  rotate(podKey: string, container: string) {
    const c = this.entry(podKey, container);
    // an instance that wrote nothing does not hide the last one that did (kept for --previous)
    if (c.current.length === 0 && c.previous) return;
    c.previous = c.current;
    c.current = [];
  }

  hasPrevious(podKey: string, container: string): boolean {
    return !!this.logs.get(podKey)?.get(container)?.previous;
  }

  remove(podKey: string) {
    this.logs.delete(podKey);
  }

  clear() {
    this.logs.clear();
  }

  read(
    podKey: string,
    container: string,
    q: LogQuery,
    now = new Date(),
  ): string {
    const c = this.logs.get(podKey)?.get(container);
    let lines = (q.previous ? c?.previous : c?.current) ?? [];
    const since =
      q.sinceTime ??
      (q.sinceSeconds !== undefined
        ? new Date(now.getTime() - q.sinceSeconds * 1000)
        : undefined);
    if (since) lines = lines.filter(l => l.time.getTime() >= since.getTime());
    if (q.tailLines !== undefined && q.tailLines >= 0)
      lines = lines.slice(Math.max(0, lines.length - q.tailLines));
    let text = lines.map(l => format(l, q.timestamps)).join('');
    if (q.limitBytes !== undefined && q.limitBytes > 0) {
      text = Buffer.from(text, 'utf8')
        .subarray(0, q.limitBytes)
        .toString('utf8');
    }
    return text;
  }

  follow(
    podKey: string,
    container: string,
    q: LogQuery,
    fn: (chunk: string) => void,
  ): () => void {
    const f = {
      pod: podKey,
      container,
      fn: (l: LogLine) => fn(format(l, q.timestamps)),
    };
    this.followers.add(f);
    return () => this.followers.delete(f);
  }
}

function format(l: LogLine, timestamps?: boolean): string {
  const text = l.text.endsWith('\n') ? l.text : `${l.text}\n`;
  return timestamps ? `${rfc3339Nano(l.time)} ${text}` : text;
}
