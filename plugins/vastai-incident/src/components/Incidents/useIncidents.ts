import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Incident,
  IncidentDetail,
  IncidentsClient,
} from '../../api/IncidentsClient';

export interface IncidentsState {
  /** The entity's incidents, newest first. */
  incidents?: Incident[];
  /** The incident shown: the one chosen, else the open one, else the latest. */
  detail?: IncidentDetail;
  error?: Error;
  loading: boolean;
  refresh: () => Promise<void>;
  choose: (id: string | undefined) => void;
}

/**
 * The incidents of one entity and the full record of the shown one, re-read every
 * `intervalMs` (0: only on demand) so the timeline follows what others do.
 */
export function useIncidents(
  client: IncidentsClient,
  entityRef: string,
  intervalMs: number,
): IncidentsState {
  const [incidents, setIncidents] = useState<Incident[]>();
  const [detail, setDetail] = useState<IncidentDetail>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const chosen = useRef<string | undefined>(undefined);
  const generation = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const list = await client.list({ entityRef });
      const open = list.find(i => i.status !== 'resolved');
      const shown = list.find(i => i.id === chosen.current) ?? open ?? list[0];
      const full = shown ? await client.get(shown.id) : undefined;
      // A later refresh started meanwhile: its answer is the newer one.
      if (mine !== generation.current) return;
      setIncidents(list);
      setDetail(full);
      setError(undefined);
    } catch (e) {
      if (mine === generation.current) setError(e as Error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [client, entityRef]);

  const choose = useCallback(
    (id: string | undefined) => {
      chosen.current = id;
      refresh();
    },
    [refresh],
  );

  useEffect(() => {
    refresh();
    if (!intervalMs) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') refresh();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [refresh, intervalMs]);

  return { incidents, detail, error, loading, refresh, choose };
}
