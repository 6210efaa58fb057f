import { useEffect, useState } from 'react';

/** The current time, re-read every `tickMs`, so ages like "12 s ago" keep counting. */
export function useNow(tickMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), tickMs);
    return () => clearInterval(id);
  }, [tickMs]);
  return now;
}
