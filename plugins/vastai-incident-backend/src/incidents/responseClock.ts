import type { Config } from '@backstage/config';
import {
  SEVERITY_RESPONSE_MINUTES,
  Severity,
} from '@vastai-incident/backstage-plugin-common';
import { configError } from '../config/checks';

/**
 * When the team works, for the runbook's P4 target ("next business day"). P1-P3 targets are
 * wall-clock minutes (on call answers them at any hour); only P4 waits for business hours.
 */
export interface BusinessHours {
  /** An IANA time zone, e.g. `Europe/Berlin`; business days and hours are local to it. */
  timeZone: string;
  /** ISO weekdays that are business days: 1 = Monday ... 7 = Sunday. */
  days: number[];
  /** Opening time, `HH:MM` local. */
  start: string;
  /** Closing time, `HH:MM` local, after `start` (the same day). */
  end: string;
  /** Local dates (`YYYY-MM-DD`) that are not business days although their weekday is. */
  holidays: string[];
}

export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  timeZone: 'UTC',
  days: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '17:00',
  holidays: [],
};

/** How long before the declaration the evidence window opens, by default. */
export const DEFAULT_EVIDENCE_LEAD_MINUTES = 15;

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d\d)-(\d\d)$/;

const minutesOf = (hhmm: string) => {
  const [, h, m] = HH_MM.exec(hhmm)!;
  return Number(h) * 60 + Number(m);
};

/** The formatter of a time zone, cached: building one is the slow part of the math. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time in `timeZone` at instant `ms`, as if that wall time were UTC. */
function wallClockAsUtc(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour === 24 ? 0 : parts.hour,
    parts.minute,
    parts.second,
  );
}

/** The zone's offset from UTC at instant `ms`, in ms (positive east of Greenwich). */
const offsetAt = (ms: number, timeZone: string) =>
  wallClockAsUtc(Math.floor(ms / 1000) * 1000, timeZone) -
  Math.floor(ms / 1000) * 1000;

/**
 * The instant of a local wall time (given as if it were UTC) in `timeZone`. A wall time that
 * does not exist (skipped when clocks go forward) is moved forward by the gap (02:30 -> 03:30),
 * a repeated one (clocks going back) is its first occurrence.
 */
export function instantOfWallTime(wallAsUtc: number, timeZone: string): number {
  const guess = wallAsUtc - offsetAt(wallAsUtc, timeZone);
  const offset = offsetAt(guess, timeZone);
  const candidate = wallAsUtc - offset;
  if (wallClockAsUtc(candidate, timeZone) === wallAsUtc) {
    // The earlier of two occurrences (clocks going back) when both exist.
    const earlierOffset = offsetAt(candidate - 3600_000, timeZone);
    const earlier = wallAsUtc - earlierOffset;
    return earlier < candidate &&
      wallClockAsUtc(earlier, timeZone) === wallAsUtc
      ? earlier
      : candidate;
  }
  // In a gap: the later offset applies from the jump on.
  return wallAsUtc - Math.min(offset, offsetAt(guess - 3600_000, timeZone));
}

/** ISO weekday (1 = Monday ... 7 = Sunday) of a local date given as UTC midnight. */
const isoWeekday = (dayAsUtc: number) =>
  ((new Date(dayAsUtc).getUTCDay() + 6) % 7) + 1;

const isoDate = (dayAsUtc: number) =>
  new Date(dayAsUtc).toISOString().slice(0, 10);

/** Looking further than this for a business day means the configuration has none. */
const MAX_DAYS_AHEAD = 400;

/**
 * The end of the next business day after `ms`: the close of the first business day that opens
 * at or after `ms`. This is the runbook's "next business day" read as "within the next
 * business day": whoever raises a P4 gives the team one whole business day to respond. Raised
 * Friday evening (or on the weekend), it is due Monday at closing time; raised Monday before
 * opening, Monday at closing; raised Monday during business hours, Tuesday at closing.
 */
export function nextBusinessDayEnd(ms: number, hours: BusinessHours): number {
  const { timeZone } = hours;
  const local = wallClockAsUtc(ms, timeZone);
  const today = Math.floor(local / 86_400_000) * 86_400_000;
  const open = minutesOf(hours.start) * 60_000;
  const close = minutesOf(hours.end) * 60_000;
  const days = new Set(hours.days);
  const holidays = new Set(hours.holidays);
  for (let i = 0; i <= MAX_DAYS_AHEAD; i++) {
    const day = today + i * 86_400_000;
    if (!days.has(isoWeekday(day)) || holidays.has(isoDate(day))) continue;
    if (instantOfWallTime(day + open, timeZone) < ms) continue;
    return instantOfWallTime(day + close, timeZone);
  }
  throw new Error('business hours have no business day');
}

/** When the response to an incident of `severity` declared at `declaredMs` is due (epoch ms). */
export function responseDueMs(
  severity: Severity,
  declaredMs: number,
  hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
): number {
  if (severity === 'P4') return nextBusinessDayEnd(declaredMs, hours);
  return declaredMs + SEVERITY_RESPONSE_MINUTES[severity] * 60_000;
}

/** The target in words, as the runbook says it ("15 min", "1 h", "next business day"). */
export function responseTargetText(severity: Severity): string {
  if (severity === 'P4') return 'next business day';
  const minutes = SEVERITY_RESPONSE_MINUTES[severity];
  return minutes < 60 ? `${minutes} min` : `${minutes / 60} h`;
}

function validTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * `vastaiIncident.incidents.businessHours`: every key optional, each falling back to the
 * default (UTC, Monday to Friday, 09:00-17:00, no holidays). Errors name the key.
 */
export function readBusinessHours(config: Config | undefined): BusinessHours {
  const key = 'incidents.businessHours';
  const timeZone =
    config?.getOptionalString('timeZone') ?? DEFAULT_BUSINESS_HOURS.timeZone;
  if (!validTimeZone(timeZone)) {
    throw configError(`${key}.timeZone`, 'not an IANA time zone');
  }
  const rawDays = config?.getOptional<unknown>('days') ?? [
    ...DEFAULT_BUSINESS_HOURS.days,
  ];
  const days = Array.isArray(rawDays) ? rawDays : [];
  if (
    !days.length ||
    days.some(
      d => typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 7,
    )
  ) {
    throw configError(
      `${key}.days`,
      'must list ISO weekdays, 1 (Monday) to 7 (Sunday)',
    );
  }
  const start =
    config?.getOptionalString('start') ?? DEFAULT_BUSINESS_HOURS.start;
  const end = config?.getOptionalString('end') ?? DEFAULT_BUSINESS_HOURS.end;
  for (const [name, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (!HH_MM.test(value)) {
      throw configError(`${key}.${name}`, 'must be a time HH:MM (00:00-23:59)');
    }
  }
  if (minutesOf(end) <= minutesOf(start)) {
    throw configError(`${key}.end`, 'must be after start (the same day)');
  }
  const holidays = config?.getOptionalStringArray('holidays') ?? [];
  for (const [i, holiday] of holidays.entries()) {
    const match = DATE.exec(holiday);
    if (
      !match ||
      isoDate(Date.parse(`${holiday}T00:00:00Z`) || 0) !== holiday
    ) {
      throw configError(`${key}.holidays[${i}]`, 'must be a date YYYY-MM-DD');
    }
  }
  return {
    timeZone,
    days: [...new Set(days as number[])].sort(),
    start,
    end,
    holidays,
  };
}

/** `vastaiIncident.incidents.evidenceLeadMinutes`: minutes of evidence before the declaration. */
export function readEvidenceLeadMs(value: number | undefined): number {
  const minutes = value ?? DEFAULT_EVIDENCE_LEAD_MINUTES;
  if (!Number.isFinite(minutes) || minutes < 0 || minutes > 24 * 60) {
    throw configError(
      'incidents.evidenceLeadMinutes',
      'must be a number of minutes from 0 to 1440',
    );
  }
  return minutes * 60_000;
}
