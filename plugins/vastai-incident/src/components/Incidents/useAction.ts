import { useCallback, useState } from 'react';
import { DownloadedFile } from '../../api/IncidentsApi';
import { errorMessage, saveFile } from './support';

/** One user action at a time: `busy` while it runs, its failure in words in `error`. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }, []);

  /** Fetches a file and hands it to the browser; the rest of the section stays usable meanwhile. */
  const download = useCallback(
    async (fetchFile: () => Promise<DownloadedFile>) => {
      setError(undefined);
      try {
        saveFile(await fetchFile());
      } catch (e) {
        setError(`Download failed: ${errorMessage(e)}`);
      }
    },
    [],
  );

  return { busy, error, setError, run, download };
}
