// stout durations: `15secs`, `10mins`, `1.5hrs`, `2weeks`, `500ms`, `100us`, `10ns`, `3days`. Short forms (`5s`,
// `2m`, `1h`) and bare seconds are accepted too because operators type them.

const UNITS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, ms: 1, secs: 1000, sec: 1000, s: 1000, mins: 60_000, min: 60_000, m: 60_000,
  hrs: 3_600_000, hr: 3_600_000, h: 3_600_000, days: 86_400_000, day: 86_400_000, d: 86_400_000,
  weeks: 604_800_000, week: 604_800_000, w: 604_800_000,
}

export class DurationError extends Error {}

/** Parses a duration into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text))
  if (!m) throw new DurationError(`invalid duration '${text}' (examples: 15secs, 10mins, 1hrs)`)
  const unit = (m[2] || 'secs').toLowerCase()
  const mult = UNITS[unit]
  if (mult === undefined) throw new DurationError(`invalid duration unit '${m[2]}' in '${text}'`)
  return Number(m[1]) * mult
}

/** Formats milliseconds the way stout prints durations (`5secs`, `15mins`, `1.5secs`). */
export function formatDuration(ms: number): string {
  const steps: [number, string][] = [[604_800_000, 'weeks'], [86_400_000, 'days'], [3_600_000, 'hrs'], [60_000, 'mins'], [1000, 'secs'], [1, 'ms'], [1e-3, 'us']]
  for (const [size, unit] of steps) {
    if (Math.abs(ms) >= size) return `${Number((ms / size).toPrecision(15))}${unit}`
  }
  return `${Math.round(ms * 1e6)}ns`
}

export const nanos = (ms: number) => Math.round(ms * 1e6)
