// Wall-clock time in an IANA time zone, from the runtime's own tz database (Intl.DateTimeFormat), for cron
// schedules (cron.ts). A wall time is kept as "the UTC milliseconds of the same calendar fields", so calendar
// arithmetic is plain Date.UTC arithmetic and only the conversion to and from instants knows about the zone.
//
// Conversions follow java.time's ZonedDateTime.ofLocal, which Metronome's schedules go through: a wall time in a
// DST gap (02:30 on a spring-forward night) is moved forward by the length of the gap (03:30, the same instant as
// 02:30 in the old offset); a wall time in an overlap (01:30 on a fall-back night) takes the earlier offset, so it
// is the first of its two occurrences.

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    })
    formatters.set(zone, f)
  }
  return f
}

/**
 * Whether `zone` is an IANA zone id the runtime knows (`Europe/Berlin`, `UTC`). Fixed offsets (`+01:00`) are
 * refused: Metronome accepts only ids from the tz database.
 */
export function isKnownTimeZone(zone: string): boolean {
  if (!zone || /^[+-]|:/.test(zone)) return false
  try {
    formatter(zone)
    return true
  } catch {
    return false
  }
}

/** The wall time (UTC fields = local fields) of `instant` in `zone`, to the second. */
export function wallTimeOf(instant: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(instant))
  const get = (type: string) => Number(parts.find(p => p.type === type)?.value ?? NaN)
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
}

/** The zone's offset from UTC at `instant`, in milliseconds (east positive), to the second. */
export function offsetAt(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000
  return wallTimeOf(whole, zone) - whole
}

/** The instant of wall time `wall` in `zone`, with java.time's rules for gaps and overlaps (see the top). */
export function instantOfWallTime(wall: number, zone: string): number {
  // Offsets never exceed ±14 h, so the offsets in force around `wall` are those 14 h either side of it.
  const before = offsetAt(wall - 14 * 3600_000, zone)
  const after = offsetAt(wall + 14 * 3600_000, zone)
  const valid = [...new Set([before, after, offsetAt(wall - before, zone), offsetAt(wall - after, zone)])]
    .filter(o => offsetAt(wall - o, zone) === o)
    .map(o => wall - o)
  if (valid.length) return Math.min(...valid)
  // A gap: the instant the wall time names in the offset before the transition.
  return wall - before
}
