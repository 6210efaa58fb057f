import { ConfigReader } from '@backstage/config';
import { readIncidentsConfig } from './commsConfig';
import {
  BusinessHours,
  DEFAULT_BUSINESS_HOURS,
  instantOfWallTime,
  nextBusinessDayEnd,
  readBusinessHours,
  responseDueMs,
} from './responseClock';
import { toIncident } from './rows';

const at = (iso: string) => Date.parse(iso);
const isoOf = (ms: number) => new Date(ms).toISOString();

const hoursIn = (timeZone: string, more: Partial<BusinessHours> = {}) => ({
  ...DEFAULT_BUSINESS_HOURS,
  timeZone,
  ...more,
});

/** An incident row as the store has it (times in epoch ms). */
function row(severity: string, declaredIso: string, respondedIso?: string) {
  return {
    id: 'i1',
    entity_ref: 'component:default/vastai-integration',
    integration: 'vastai-integration',
    title: 'Vast.ai errors',
    severity,
    status: respondedIso ? 'identified' : 'investigating',
    impact: 'none',
    commander: 'user:default/alice',
    declared_by: 'user:default/alice',
    declared_at: at(declaredIso),
    updated_at: at(declaredIso),
    resolved_at: null,
    responded_at: respondedIso ? at(respondedIso) : null,
  };
}

describe('the P4 response clock follows business hours ("next business day")', () => {
  // 2026-12-04 is a Friday.
  it('a P4 raised Friday evening is due Monday at closing time, not Saturday evening', () => {
    const due = responseDueMs(
      'P4',
      at('2026-12-04T18:30:00Z'),
      DEFAULT_BUSINESS_HOURS,
    );
    expect(isoOf(due)).toBe('2026-12-07T17:00:00.000Z');
  });

  it('is not overdue on Saturday or Sunday, and is overdue after Monday closing', () => {
    const declared = row('P4', '2026-12-04T18:30:00Z');
    const saturdayEvening = at('2026-12-05T20:00:00Z'); // declared + 25.5 h
    const sunday = at('2026-12-06T12:00:00Z');
    expect(
      toIncident(declared, DEFAULT_BUSINESS_HOURS, saturdayEvening),
    ).toMatchObject({
      responseDueAt: '2026-12-07T17:00:00.000Z',
      responseTarget: 'next business day',
      overdue: false,
    });
    expect(toIncident(declared, DEFAULT_BUSINESS_HOURS, sunday).overdue).toBe(
      false,
    );
    expect(
      toIncident(declared, DEFAULT_BUSINESS_HOURS, at('2026-12-07T16:59:00Z'))
        .overdue,
    ).toBe(false);
    expect(
      toIncident(declared, DEFAULT_BUSINESS_HOURS, at('2026-12-07T17:01:00Z'))
        .overdue,
    ).toBe(true);
  });

  it('a response on Monday morning to a Friday-evening P4 is in time', () => {
    const responded = toIncident(
      row('P4', '2026-12-04T18:30:00Z', '2026-12-07T09:30:00Z'),
      DEFAULT_BUSINESS_HOURS,
      at('2026-12-08T12:00:00Z'),
    );
    expect(responded.overdue).toBe(false);
  });

  it.each([
    [
      'Monday before opening',
      '2026-12-07T08:00:00Z',
      '2026-12-07T17:00:00.000Z',
    ],
    ['Monday at opening', '2026-12-07T09:00:00Z', '2026-12-07T17:00:00.000Z'],
    [
      'Monday during business hours',
      '2026-12-07T10:00:00Z',
      '2026-12-08T17:00:00.000Z',
    ],
    ['Saturday', '2026-12-05T11:00:00Z', '2026-12-07T17:00:00.000Z'],
    ['Thursday evening', '2026-12-03T21:00:00Z', '2026-12-04T17:00:00.000Z'],
  ])('raised %s (%s): due %s', (_, declared, due) => {
    expect(
      isoOf(nextBusinessDayEnd(at(declared), DEFAULT_BUSINESS_HOURS)),
    ).toBe(due);
  });

  it('skips configured holidays and non-business weekdays', () => {
    const hours = hoursIn('UTC', { holidays: ['2026-12-07'] });
    expect(isoOf(nextBusinessDayEnd(at('2026-12-04T18:30:00Z'), hours))).toBe(
      '2026-12-08T17:00:00.000Z',
    );
    // A team working Sunday to Thursday.
    const sundayToThursday = hoursIn('UTC', { days: [7, 1, 2, 3, 4] });
    expect(
      isoOf(nextBusinessDayEnd(at('2026-12-03T18:00:00Z'), sundayToThursday)),
    ).toBe('2026-12-06T17:00:00.000Z');
  });

  it('counts business hours in the configured time zone', () => {
    // 2026-12-04 23:30 UTC is already Saturday 08:30 in Tokyo: due Monday 17:00 JST.
    const tokyo = hoursIn('Asia/Tokyo');
    expect(isoOf(nextBusinessDayEnd(at('2026-12-04T23:30:00Z'), tokyo))).toBe(
      '2026-12-07T08:00:00.000Z',
    );
    // 2026-12-04 20:00 UTC is Friday 15:00 in New York: due Monday 17:00 EST.
    const newYork = hoursIn('America/New_York');
    expect(isoOf(nextBusinessDayEnd(at('2026-12-04T20:00:00Z'), newYork))).toBe(
      '2026-12-07T22:00:00.000Z',
    );
  });

  it('crosses a DST change: clocks going forward over the weekend (Europe/Berlin)', () => {
    // Friday 2026-03-27 18:00 CET (+01:00); DST starts Sunday 2026-03-29.
    const berlin = hoursIn('Europe/Berlin');
    const due = nextBusinessDayEnd(at('2026-03-27T17:00:00Z'), berlin);
    // Monday 17:00 CEST (+02:00) = 15:00 UTC; a fixed 72 h would say 16:00 UTC.
    expect(isoOf(due)).toBe('2026-03-30T15:00:00.000Z');
  });

  it('crosses a DST change: clocks going back over the weekend (America/New_York)', () => {
    // Friday 2026-10-30 18:00 EDT (-04:00); DST ends Sunday 2026-11-01.
    const newYork = hoursIn('America/New_York');
    const due = nextBusinessDayEnd(at('2026-10-30T22:00:00Z'), newYork);
    // Monday 17:00 EST (-05:00) = 22:00 UTC.
    expect(isoOf(due)).toBe('2026-11-02T22:00:00.000Z');
  });

  it('maps wall times in a DST gap forward and repeated ones to their first occurrence', () => {
    // Europe/Berlin 2026-03-29 02:30 does not exist: 03:30 CEST = 01:30 UTC.
    expect(
      isoOf(instantOfWallTime(at('2026-03-29T02:30:00Z'), 'Europe/Berlin')),
    ).toBe('2026-03-29T01:30:00.000Z');
    // Europe/Berlin 2026-10-25 02:30 happens twice: first at +02:00 = 00:30 UTC.
    expect(
      isoOf(instantOfWallTime(at('2026-10-25T02:30:00Z'), 'Europe/Berlin')),
    ).toBe('2026-10-25T00:30:00.000Z');
    expect(
      isoOf(instantOfWallTime(at('2026-07-01T09:00:00Z'), 'Europe/Berlin')),
    ).toBe('2026-07-01T07:00:00.000Z');
  });

  it('keeps P1-P3 on the wall clock, weekends included', () => {
    const friday = at('2026-12-04T18:30:00Z');
    expect(responseDueMs('P1', friday) - friday).toBe(15 * 60_000);
    expect(responseDueMs('P2', friday) - friday).toBe(60 * 60_000);
    expect(responseDueMs('P3', friday) - friday).toBe(240 * 60_000);
    expect(
      toIncident(
        row('P1', '2026-12-04T18:30:00Z'),
        DEFAULT_BUSINESS_HOURS,
        at('2026-12-04T18:46:00Z'),
      ),
    ).toMatchObject({ overdue: true, responseTarget: '15 min' });
  });
});

describe('business hours configuration', () => {
  const read = (businessHours: unknown, more: object = {}) =>
    readIncidentsConfig(
      new ConfigReader({
        vastaiIncident: { incidents: { businessHours, ...more } },
      } as any),
    );

  it('defaults to UTC, Monday to Friday, 09:00-17:00, and a 15 min evidence lead', () => {
    const config = readIncidentsConfig(new ConfigReader({}));
    expect(config.businessHours).toEqual({
      timeZone: 'UTC',
      days: [1, 2, 3, 4, 5],
      start: '09:00',
      end: '17:00',
      holidays: [],
    });
    expect(config.evidenceLeadMs).toBe(15 * 60_000);
  });

  it('reads each key', () => {
    const config = read(
      {
        timeZone: 'Europe/Berlin',
        days: [1, 2, 3, 4],
        start: '08:30',
        end: '16:00',
        holidays: ['2026-12-24'],
      },
      { evidenceLeadMinutes: 30 },
    );
    expect(config.businessHours).toEqual({
      timeZone: 'Europe/Berlin',
      days: [1, 2, 3, 4],
      start: '08:30',
      end: '16:00',
      holidays: ['2026-12-24'],
    });
    expect(config.evidenceLeadMs).toBe(30 * 60_000);
  });

  it.each([
    [{ timeZone: 'Mars/Olympus' }, 'businessHours.timeZone'],
    [{ days: [0, 1] }, 'businessHours.days'],
    [{ days: [] }, 'businessHours.days'],
    [{ start: '9am' }, 'businessHours.start'],
    [{ end: '24:00' }, 'businessHours.end'],
    [{ start: '17:00', end: '09:00' }, 'businessHours.end'],
    [{ holidays: ['2026-02-30'] }, 'businessHours.holidays[0]'],
  ])('refuses %j naming the key', (businessHours, key) => {
    expect(() => read(businessHours)).toThrow(
      `vastaiIncident.incidents.${key}`,
    );
  });

  it('refuses a negative evidence lead', () => {
    expect(() => read(undefined, { evidenceLeadMinutes: -5 })).toThrow(
      'vastaiIncident.incidents.evidenceLeadMinutes',
    );
  });

  it('business days read through readBusinessHours are de-duplicated', () => {
    expect(
      readBusinessHours(new ConfigReader({ days: [5, 1, 1] })).days,
    ).toEqual([1, 5]);
  });
});
