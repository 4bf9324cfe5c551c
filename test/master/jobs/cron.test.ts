// Cron expressions as Metronome accepts them and their next firing times in IANA zones, DST included.

import { describe, expect, test } from 'bun:test'
import { CronError, fireTimesBetween, nextFireTime, parseCron } from '../../../src/master/jobs/cron.ts'
import { instantOfWallTime, isKnownTimeZone, offsetAt } from '../../../src/master/jobs/zoned-time.ts'

const at = (iso: string) => Date.parse(iso)
const next = (expr: string, zone: string, after: string) => {
  const t = nextFireTime(parseCron(expr), zone, at(after))
  return t === undefined ? undefined : new Date(t).toISOString()
}

describe('parsing', () => {
  test('fields, ranges, steps, lists and names', () => {
    const c = parseCron('*/15 9-17 1,15 JAN-mar mon-FRI')
    expect([...c.minutes]).toEqual([0, 15, 30, 45])
    expect([...c.hours]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17])
    expect([...c.daysOfMonth]).toEqual([1, 15])
    expect([...c.months]).toEqual([1, 2, 3])
    expect([...c.daysOfWeek]).toEqual([1, 2, 3, 4, 5])
    expect([...parseCron('0 0 * * 7').daysOfWeek]).toEqual([0])
    expect([...parseCron('5/20 * * * *').minutes]).toEqual([5, 25, 45])
    expect([...parseCron('0 0 ? * 1-3/2').daysOfWeek]).toEqual([1, 3])
  })

  test('bad expressions are refused with the reason', () => {
    const bad: [string, RegExp][] = [
      ['* * * *', /expected 5 fields/],
      ['60 * * * *', /minute value 60 is outside 0-59/],
      ['* 24 * * *', /hour value 24/],
      ['* * 0 * *', /day of month value 0/],
      ['* * * 13 *', /month value 13/],
      ['* * * * 8', /day of week value 8/],
      ['* * * FOO *', /bad month value 'FOO'/],
      ['5-1 * * * *', /runs backwards/],
      ['*/0 * * * *', /bad step/],
      ['@hourly', /macros/],
      ['0 0 30 2 *', /February has only <= 29 days/],
      ['0 0 * * 1#6', /occurrence must be 1-5/],
    ]
    for (const [expr, why] of bad) expect(() => parseCron(expr), expr).toThrow(why)
    expect(() => parseCron('x')).toThrow(CronError)
  })
})

describe('next firing time', () => {
  test('every minute fires at the next whole minute', () => {
    expect(next('* * * * *', 'UTC', '2026-01-01T10:00:00Z')).toBe('2026-01-01T10:01:00.000Z')
    expect(next('* * * * *', 'UTC', '2026-01-01T10:00:59.999Z')).toBe('2026-01-01T10:01:00.000Z')
  })

  test('in a time zone', () => {
    expect(next('0 3 * * *', 'Europe/Berlin', '2026-01-10T12:00:00Z')).toBe('2026-01-11T02:00:00.000Z')
    expect(next('0 3 * * *', 'America/Chicago', '2026-07-10T12:00:00Z')).toBe('2026-07-11T08:00:00.000Z')
    expect(next('30 9 * * MON', 'Asia/Kolkata', '2026-12-02T00:00:00Z')).toBe('2026-12-07T04:00:00.000Z')
  })

  test('day rules: L, LW, nW, nL, n#k', () => {
    expect(next('0 0 L * *', 'UTC', '2026-02-01T00:00:00Z')).toBe('2026-02-28T00:00:00.000Z')
    expect(next('0 0 L * *', 'UTC', '2028-02-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z')
    expect(next('0 0 LW * *', 'UTC', '2026-05-01T00:00:00Z')).toBe('2026-05-29T00:00:00.000Z') // 31st is a Sunday
    expect(next('0 0 15W * *', 'UTC', '2026-08-01T00:00:00Z')).toBe('2026-08-14T00:00:00.000Z') // 15th is a Saturday
    expect(next('0 0 * * 5L', 'UTC', '2026-12-01T00:00:00Z')).toBe('2026-12-25T00:00:00.000Z')
    expect(next('0 0 * * MON#2', 'UTC', '2026-12-01T00:00:00Z')).toBe('2026-12-14T00:00:00.000Z')
  })

  test('both day fields restricted: a day must match both (Metronome matchDayOfWeekAndDayOfMonth)', () => {
    // Friday the 13th.
    expect(next('0 0 13 * FRI', 'UTC', '2026-01-01T00:00:00Z')).toBe('2026-02-13T00:00:00.000Z')
  })

  test('February 29 only in leap years; a past year range never fires again', () => {
    expect(next('0 0 29 2 *', 'UTC', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z')
    expect(next('0 0 1 1 * 2020', 'UTC', '2026-03-01T00:00:00Z')).toBeUndefined()
  })

  test('DST gap: a wall time that does not exist fires shifted forward by the gap (java.time)', () => {
    // Europe/Berlin springs forward 2026-03-29 02:00 CET → 03:00 CEST; 02:30 does not exist.
    expect(next('30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:30:00.000Z')
    expect(new Date(instantOfWallTime(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:30:00.000Z')
    // and the next day is back to normal
    expect(next('30 2 * * *', 'Europe/Berlin', '2026-03-29T02:00:00Z')).toBe('2026-03-30T00:30:00.000Z')
  })

  test('DST overlap: a repeated wall time fires once, at its first occurrence', () => {
    // Europe/Berlin falls back 2026-10-25 03:00 CEST → 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
    const first = next('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z')
    expect(first).toBe('2026-10-25T00:30:00.000Z')
    expect(next('30 2 * * *', 'Europe/Berlin', first!)).toBe('2026-10-26T01:30:00.000Z')
  })

  test('firings in a window, newest kept', () => {
    const c = parseCron('*/10 * * * *')
    expect(fireTimesBetween(c, 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-01T00:35:00Z')).map(t => new Date(t).toISOString().slice(11, 16)))
      .toEqual(['00:10', '00:20', '00:30'])
    expect(fireTimesBetween(c, 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-01T00:35:00Z'), 1).map(t => new Date(t).toISOString().slice(11, 16))).toEqual(['00:30'])
  })
})

describe('time zones', () => {
  test('IANA ids are known, fixed offsets and junk are not', () => {
    expect(isKnownTimeZone('UTC')).toBe(true)
    expect(isKnownTimeZone('America/Chicago')).toBe(true)
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false)
    expect(isKnownTimeZone('+01:00')).toBe(false)
    expect(isKnownTimeZone('')).toBe(false)
  })

  test('offsets', () => {
    expect(offsetAt(at('2026-01-01T00:00:00Z'), 'Europe/Berlin')).toBe(3600_000)
    expect(offsetAt(at('2026-07-01T00:00:00Z'), 'Europe/Berlin')).toBe(7200_000)
    expect(offsetAt(at('2026-07-01T00:00:00Z'), 'Asia/Kathmandu')).toBe(5.75 * 3600_000)
  })
})
