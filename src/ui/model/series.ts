// Usage samples for the overview's charts: a fixed-size ring, so a tab left open for days holds the same few
// kilobytes. Pure.

export interface Sample<T> { at: number; value: T }

export class Series<T> {
  private readonly items: (Sample<T> | undefined)[]
  private next = 0
  private size = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`series capacity must be a positive integer, got ${capacity}`)
    this.items = new Array(capacity)
  }

  push(at: number, value: T) {
    this.items[this.next] = { at, value }
    this.next = (this.next + 1) % this.capacity
    this.size = Math.min(this.size + 1, this.capacity)
  }

  get length(): number { return this.size }

  /** Oldest first. */
  samples(): Sample<T>[] {
    const out: Sample<T>[] = []
    const start = (this.next - this.size + this.capacity) % this.capacity
    for (let i = 0; i < this.size; i++) out.push(this.items[(start + i) % this.capacity]!)
    return out
  }
}

/**
 * An SVG polyline's points for the samples of the last `spanMs` (each value 0…max) drawn into width×height, `now`
 * at the right edge; x follows each sample's time, so a pause in sampling shows as a gap, not a squeezed line.
 */
export function sparkline(samples: Sample<number>[], max: number, width: number, height: number, spanMs: number, now: number): string {
  if (!samples.length || spanMs <= 0) return ''
  const top = max > 0 ? max : 1
  return samples
    .filter(s => now - s.at <= spanMs)
    .map(s => {
      const x = width - ((now - s.at) / spanMs) * width
      const y = height - (Math.min(Math.max(s.value, 0), top) / top) * height
      return `${round(x)},${round(y)}`
    })
    .join(' ')
}

const round = (n: number) => Math.round(n * 10) / 10
