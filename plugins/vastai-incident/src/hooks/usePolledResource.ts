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
  /**
   * Reads again now. Resolves once a read that started after the call has settled (never
   * rejects: a failure lands in `error`), so a change just made is seen.
   */
  refresh: () => Promise<void>;
}

function documentHidden(): boolean {
  return (
    typeof document !== 'undefined' && document.visibilityState === 'hidden'
  );
}

/**
 * Reads `load` once, then again every `intervalMs` (0: only on `refresh`) while the browser
 * tab is visible. A hidden tab costs the backend nothing; when it becomes visible again a
 * stale value is refreshed at once. Attempts never overlap: a refresh asked for during one
 * runs right after it.
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
  /** The attempt running now, and the one asked for meanwhile. */
  const running = useRef<Promise<void>>();
  const next = useRef<Promise<void>>();
  const generation = useRef(0);
  const updatedAt = useRef<number | undefined>(undefined);

  const attempt = useCallback((): Promise<void> => {
    clearTimeout(timer.current);
    const myGeneration = generation.current;
    setState(s => ({ ...s, refreshing: true }));
    const settled = loadRef
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
        running.current = undefined;
        if (intervalMs > 0 && !documentHidden()) {
          // Polling skips a beat rather than queue behind a running attempt.
          timer.current = setTimeout(() => {
            if (!running.current) attempt();
          }, intervalMs);
        }
      });
    running.current = settled;
    return settled;
  }, [intervalMs]);

  const refresh = useCallback((): Promise<void> => {
    const current = running.current;
    if (!current) return attempt();
    if (!next.current) {
      const myGeneration = generation.current;
      next.current = current.then(() => {
        if (myGeneration !== generation.current) return undefined;
        next.current = undefined;
        return running.current ?? attempt();
      });
    }
    return next.current;
  }, [attempt]);

  // A new subject (entity, query): forget the old value and start over.
  useEffect(() => {
    generation.current += 1;
    running.current = undefined;
    next.current = undefined;
    updatedAt.current = undefined;
    setState({ loading: true, refreshing: true });
    attempt();
    return () => {
      generation.current += 1;
      clearTimeout(timer.current);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt, ...deps]);

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
      if (running.current) return;
      const age = updatedAt.current ? Date.now() - updatedAt.current : Infinity;
      if (age >= intervalMs) {
        attempt();
      } else {
        clearTimeout(timer.current);
        timer.current = setTimeout(attempt, intervalMs - age);
      }
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, [intervalMs, attempt]);

  return { ...state, refresh };
}
