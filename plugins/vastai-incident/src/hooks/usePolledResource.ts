import { useCallback, useEffect, useRef, useState } from 'react';

/** How often an open tab or card re-reads the triage by default. */
export const DEFAULT_REFRESH_INTERVAL_MS = 30_000;

export interface PolledResource<T> {
  /** The last value read successfully; kept while a refresh runs or fails. */
  value?: T;
  /** The error of the last attempt, cleared by the next success. */
  error?: Error;
  /** True until the first attempt settles. */
  loading: boolean;
  /** True while any attempt runs (first load or refresh). */
  refreshing: boolean;
  /** When `value` was read, in ms since the epoch. */
  updatedAt?: number;
  refresh: () => void;
}

function documentHidden(): boolean {
  return (
    typeof document !== 'undefined' && document.visibilityState === 'hidden'
  );
}

/**
 * Reads `load` once, then again every `intervalMs` while the browser tab is
 * visible. A hidden tab costs the backend nothing; when it becomes visible
 * again a stale value is refreshed at once. Attempts never overlap.
 */
export function usePolledResource<T>(
  load: () => Promise<T>,
  deps: unknown[],
  options?: { intervalMs?: number },
): PolledResource<T> {
  const intervalMs = options?.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  const [state, setState] = useState<Omit<PolledResource<T>, 'refresh'>>({
    loading: true,
    refreshing: true,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const running = useRef(false);
  const generation = useRef(0);
  const updatedAt = useRef<number | undefined>(undefined);

  const run = useCallback(() => {
    if (running.current) {
      return;
    }
    clearTimeout(timer.current);
    running.current = true;
    const myGeneration = generation.current;
    setState(s => ({ ...s, refreshing: true }));
    loadRef
      .current()
      .then(
        value => {
          if (myGeneration !== generation.current) return;
          updatedAt.current = Date.now();
          setState({
            value,
            loading: false,
            refreshing: false,
            updatedAt: updatedAt.current,
          });
        },
        error => {
          if (myGeneration !== generation.current) return;
          setState(s => ({
            ...s,
            error: error instanceof Error ? error : new Error(String(error)),
            loading: false,
            refreshing: false,
          }));
        },
      )
      .finally(() => {
        if (myGeneration !== generation.current) return;
        running.current = false;
        if (intervalMs > 0 && !documentHidden()) {
          timer.current = setTimeout(run, intervalMs);
        }
      });
  }, [intervalMs]);

  // A new subject (entity, query): forget the old value and start over.
  useEffect(() => {
    generation.current += 1;
    running.current = false;
    updatedAt.current = undefined;
    setState({ loading: true, refreshing: true });
    run();
    return () => {
      generation.current += 1;
      clearTimeout(timer.current);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [run, ...deps]);

  // Pause while hidden; on return, refresh if the value is older than one interval.
  useEffect(() => {
    if (intervalMs <= 0 || typeof document === 'undefined') {
      return undefined;
    }
    const onVisibility = () => {
      if (documentHidden()) {
        clearTimeout(timer.current);
        return;
      }
      const age = updatedAt.current ? Date.now() - updatedAt.current : Infinity;
      if (age >= intervalMs) {
        run();
      } else if (!running.current) {
        clearTimeout(timer.current);
        timer.current = setTimeout(run, intervalMs - age);
      }
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, [intervalMs, run]);

  return { ...state, refresh: run };
}
