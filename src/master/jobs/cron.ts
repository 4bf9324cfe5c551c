// Cron expressions as Metronome accepts them (its CronSpec: a cron-utils definition) and their next firing time in
// an IANA time zone. Five fields, minute hour day-of-month month day-of-week:
// - `*`, `?` (day fields), numbers, ranges `a-b`, steps `*/n`, `a/n`, `a-b/n`, lists `a,b-c`;
// - month names JAN–DEC and day names SUN–SAT (any case); day-of-week 0–7, both 0 and 7 Sunday;
// - day-of-month `L` (last day), `LW` (last weekday), `nW` (weekday nearest to day n, within the month);
// - day-of-week `nL` (last day n of the month) and `n#k` (the k-th day n of the month).
// An optional sixth field (a year or year range) is accepted as cron-utils' definition allows. `@hourly` and the
// other macros are refused, as Metronome refuses them. When both day fields are restricted, a day must match both
// (Metronome's definition sets matchDayOfWeekAndDayOfMonth). A day-of-month that exists in none of the months
// (`0 0 30 2 *`) is refused, as Metronome's CronDaysInMonthValidation refuses it.
//
// The next firing time walks wall-clock time in the schedule's zone (zoned-time.ts): each matching wall time fires
// once, at its first occurrence; one that falls in a DST gap fires at the shifted time java.time gives it.

import { instantOfWallTime, wallTimeOf } from './zoned-time.ts'

type DayOfWeekRule = { kind: 'last'; dow: number } | { kind: 'nth'; dow: number; nth: number }
type DayOfMonthRule = { kind: 'last' } | { kind: 'lastWeekday' } | { kind: 'nearestWeekday'; day: number }

export interface CronSpec {
  /** The expression as given (trimmed), what the API echoes. */
  readonly text: string
  readonly minutes: ReadonlySet<number>
  readonly hours: ReadonlySet<number>
  readonly daysOfMonth: ReadonlySet<number>
  readonly months: ReadonlySet<number>
  /** 0–6, Sunday 0. */
  readonly daysOfWeek: ReadonlySet<number>
  readonly domRestricted: boolean
  readonly dowRestricted: boolean
  readonly domRules: readonly DayOfMonthRule[]
  readonly dowRules: readonly DayOfWeekRule[]
  readonly years?: { from: number; to: number }
}

export class CronError extends Error {}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

interface FieldDef { name: string; min: number; max: number; names?: string[]; namesFrom?: number }

const FIELDS: Record<'minute' | 'hour' | 'dom' | 'month' | 'dow', FieldDef> = {
  minute: { name: 'minute', min: 0, max: 59 },
  hour: { name: 'hour', min: 0, max: 23 },
  dom: { name: 'day of month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  dow: { name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 },
}

function value(text: string, f: FieldDef): number {
  const upper = text.toUpperCase()
  const named = f.names?.indexOf(upper) ?? -1
  if (named >= 0) return named + f.namesFrom!
  if (!/^\d+$/.test(text)) throw new CronError(`bad ${f.name} value '${text}'`)
  const n = Number(text)
  if (n < f.min || n > f.max) throw new CronError(`${f.name} value ${n} is outside ${f.min}-${f.max}`)
  return n
}

/** The values one field's list names (without the L/W/# rules). */
function field(text: string, f: FieldDef): Set<number> {
  const out = new Set<number>()
  for (const item of text.split(',')) {
    if (!item) throw new CronError(`empty item in ${f.name} field '${text}'`)
    const [range, stepText, extra] = item.split('/')
    if (extra !== undefined) throw new CronError(`bad ${f.name} item '${item}'`)
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new CronError(`bad step '${stepText}' in ${f.name} field`)
      step = Number(stepText)
    }
    let from: number
    let to: number
    if (range === '*' || range === '?') {
      from = f.min
      to = f.max === 7 ? 6 : f.max
    } else {
      const bounds = range!.split('-')
      if (bounds.length > 2) throw new CronError(`bad ${f.name} range '${range}'`)
      from = value(bounds[0]!, f)
      // `a/n` runs from a to the end of the field.
      to = bounds.length === 2 ? value(bounds[1]!, f) : stepText !== undefined ? f.max : from
      if (to < from) throw new CronError(`${f.name} range '${range}' runs backwards`)
    }
    for (let v = from; v <= to; v += step) out.add(f.max === 7 && v === 7 ? 0 : v)
  }
  return out
}

/** Parses a Metronome cron expression; throws CronError saying what is wrong. */
export function parseCron(expression: string): CronSpec {
  const text = expression.trim()
  if (text.startsWith('@')) throw new CronError(`macros such as '${text.split(/\s/)[0]}' are not supported; use five fields`)
  const parts = text.split(/\s+/)
  if (parts.length !== 5 && parts.length !== 6) throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`)
  const [min, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string | undefined]
  const domRules: DayOfMonthRule[] = []
  const domItems: string[] = []
  for (const item of dom.split(',')) {
    const u = item.toUpperCase()
    if (u === 'L') domRules.push({ kind: 'last' })
    else if (u === 'LW') domRules.push({ kind: 'lastWeekday' })
    else if (/^\d+W$/.test(u)) domRules.push({ kind: 'nearestWeekday', day: value(u.slice(0, -1), FIELDS.dom) })
    else domItems.push(item)
  }
  const dowRules: DayOfWeekRule[] = []
  const dowItems: string[] = []
  for (const item of dow.split(',')) {
    const u = item.toUpperCase()
    const last = /^(\w+)L$/.exec(u)
    const nth = /^(\w+)#(\d+)$/.exec(u)
    if (last && u !== 'L') dowRules.push({ kind: 'last', dow: value(last[1]!, FIELDS.dow) % 7 })
    else if (u === 'L') dowRules.push({ kind: 'last', dow: 6 })
    else if (nth) {
      const k = Number(nth[2])
      if (k < 1 || k > 5) throw new CronError(`bad day of week '${item}': the occurrence must be 1-5`)
      dowRules.push({ kind: 'nth', dow: value(nth[1]!, FIELDS.dow) % 7, nth: k })
    } else dowItems.push(item)
  }
  const daysOfMonth = domItems.length ? field(domItems.join(','), FIELDS.dom) : new Set<number>()
  const months = field(month, FIELDS.month)
  const spec: CronSpec = {
    text,
    minutes: field(min, FIELDS.minute),
    hours: field(hour, FIELDS.hour),
    daysOfMonth,
    months,
    daysOfWeek: dowItems.length ? field(dowItems.join(','), FIELDS.dow) : new Set<number>(),
    domRestricted: !(dom === '*' || dom === '?'),
    dowRestricted: !(dow === '*' || dow === '?'),
    domRules,
    dowRules,
    ...(year !== undefined ? { years: yearRange(year) } : {}),
  }
  if (spec.domRestricted && !domRules.length && ![...daysOfMonth].some(d => [...months].some(m => d <= MAX_DAYS[m - 1]!))) {
    throw new CronError('Day of the month must exist in the provided month (e.g. February has only <= 29 days so running cron on Feb 30 is invalid)')
  }
  return spec
}

function yearRange(text: string): { from: number; to: number } {
  if (text === '*') return { from: 1970, to: 2099 }
  const m = /^(\d{4})(?:-(\d{4}))?$/.exec(text)
  if (!m) throw new CronError(`bad year '${text}'`)
  const from = Number(m[1])
  const to = m[2] ? Number(m[2]) : from
  if (to < from) throw new CronError(`year range '${text}' runs backwards`)
  return { from, to }
}

const DAY_MS = 86_400_000

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate()
}

/** Whether the day of wall time `wall` (UTC fields) matches the day fields. */
function dayMatches(spec: CronSpec, wall: number): boolean {
  const d = new Date(wall)
  const year = d.getUTCFullYear()
  const month0 = d.getUTCMonth()
  const day = d.getUTCDate()
  const dow = d.getUTCDay()
  const last = daysInMonth(year, month0)
  const weekday = (n: number) => new Date(Date.UTC(year, month0, n)).getUTCDay()
  const domMatch = spec.daysOfMonth.has(day) || spec.domRules.some(r => {
    if (r.kind === 'last') return day === last
    if (r.kind === 'lastWeekday') {
      let n = last
      while (weekday(n) === 0 || weekday(n) === 6) n--
      return day === n
    }
    const target = Math.min(r.day, last)
    const w = weekday(target)
    let n = target
    if (w === 6) n = target === 1 ? 3 : target - 1
    else if (w === 0) n = target === last ? target - 2 : target + 1
    return day === n
  })
  const dowMatch = spec.daysOfWeek.has(dow) || spec.dowRules.some(r =>
    r.dow === dow && (r.kind === 'last' ? day + 7 > last : Math.ceil(day / 7) === r.nth))
  if (spec.domRestricted && spec.dowRestricted) return domMatch && dowMatch
  if (spec.domRestricted) return domMatch
  if (spec.dowRestricted) return dowMatch
  return true
}

/** The next wall time (minute precision) at or after `wall` that matches, or undefined within `limitYears`. */
function nextWallTime(spec: CronSpec, wall: number, limitYears = 8): number | undefined {
  const end = wall + limitYears * 366 * DAY_MS
  let t = Math.ceil(wall / 60_000) * 60_000
  while (t <= end) {
    const d = new Date(t)
    const year = d.getUTCFullYear()
    if (spec.years && (year < spec.years.from || year > spec.years.to)) {
      if (year > spec.years.to) return undefined
      t = Date.UTC(spec.years.from, 0, 1)
      continue
    }
    if (!spec.months.has(d.getUTCMonth() + 1)) { t = Date.UTC(year, d.getUTCMonth() + 1, 1); continue }
    if (!dayMatches(spec, t)) { t = Date.UTC(year, d.getUTCMonth(), d.getUTCDate() + 1); continue }
    if (!spec.hours.has(d.getUTCHours())) { t = Date.UTC(year, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1); continue }
    if (!spec.minutes.has(d.getUTCMinutes())) { t += 60_000; continue }
    return t
  }
  return undefined
}

/**
 * The first firing time strictly after instant `after`, in `zone`; undefined when the expression never fires again
 * (a past year range).
 */
export function nextFireTime(spec: CronSpec, zone: string, after: number): number | undefined {
  let wall = Math.floor(wallTimeOf(after, zone) / 60_000) * 60_000 + 60_000
  for (let guard = 0; guard < 1000; guard++) {
    const next = nextWallTime(spec, wall)
    if (next === undefined) return undefined
    const instant = instantOfWallTime(next, zone)
    if (instant > after) return instant
    wall = next + 60_000
  }
  return undefined
}

/** The firing times in (from, to], oldest first, at most `max` (the newest kept when there are more). */
export function fireTimesBetween(spec: CronSpec, zone: string, from: number, to: number, max = 1000): number[] {
  const out: number[] = []
  let t = nextFireTime(spec, zone, from)
  while (t !== undefined && t <= to) {
    out.push(t)
    if (out.length > max) out.shift()
    t = nextFireTime(spec, zone, t)
  }
  return out
}
