import type {
  EvidenceReading,
  Signal,
} from '@vastai-incident/backstage-plugin-common';
import type { FreshnessBudgets, TriageInput } from './types';

/*
 * Every reading carries its age. A reading older than its source's freshness budget, or a last
 * known value served because the upstream failed now, is stale: it is still shown, with its age,
 * but it never counts as evidence that Vast.ai is healthy.
 */

export interface EvidenceClock {
  now: number;
  budgets: FreshnessBudgets;
}

/** The triage's "now" when the caller gives none: the newest observation among the signals. */
export function newestObservation(input: TriageInput): number {
  const times = Object.values(input)
    .map(s => Date.parse((s as Signal).observedAt))
    .filter(Number.isFinite);
  return times.length ? Math.max(...times) : 0;
}

export function ageSeconds(signal: Signal, now: number): number {
  const observed = Date.parse(signal.observedAt);
  if (!Number.isFinite(observed)) return Infinity;
  return Math.max(0, Math.round((now - observed) / 1000));
}

export interface Age {
  seconds: number;
  /** Within the budget and not a last known value served on failure. */
  fresh: boolean;
}

export function ageOf(
  signal: Signal,
  source: keyof TriageInput,
  clock: EvidenceClock,
): Age {
  const seconds = ageSeconds(signal, clock.now);
  return {
    seconds,
    fresh: !signal.stale && seconds <= clock.budgets[source],
  };
}

/** "12 s", "4 min", "2 h". */
export function ageText(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'an unknown time';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function clockTime(iso: string): string {
  const hhmm = /T(\d\d:\d\d)/.exec(iso);
  return hhmm ? `${hhmm[1]} UTC` : iso;
}

/** Appended to every phrase built from a reading that is not current. */
export function staleSuffix(signal: Signal, age: Age): string {
  return age.fresh
    ? ''
    : ` (stale: last read ${clockTime(signal.observedAt)}, ${ageText(
        age.seconds,
      )} ago)`;
}

export function couldNotRead(label: string, signal: Signal): string {
  return `${label}: could not be read${
    signal.reason ? ` (${signal.reason})` : ''
  }`;
}

export function percent(ratio: number): string {
  const p = ratio * 100;
  return `${p >= 10 ? Math.round(p) : Number(p.toFixed(1))}%`;
}

export function perMinute(rate: number): string {
  return `${rate >= 10 ? Math.round(rate) : Number(rate.toFixed(1))}/min`;
}

/** A number we can trust: NaN and Infinity are "no data", like null. */
export function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** The reading as the drawn tree shows it. */
export function shownReading(
  signal: Signal,
  age: Age,
  text: string,
  extra: Partial<EvidenceReading> = {},
): EvidenceReading {
  return {
    source: signal.source,
    text,
    ageSeconds: Number.isFinite(age.seconds) ? age.seconds : -1,
    stale: !age.fresh,
    ...extra,
  };
}
