// A cumulative Prometheus histogram (seconds): fixed upper bounds, a count per bucket, the sum and the count of
// every observation since start. Only `GET /metrics` shows it; /metrics/snapshot keeps Mesos' timer keys.

/** Bounds for latencies from sub-millisecond allocation runs to multi-second container launches. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

export class Histogram {
  /** Observations at or below each bound (not yet cumulative: `buckets` sums them on read). */
  private readonly counts: Float64Array
  count = 0
  sum = 0

  constructor(readonly name: string, readonly help: string, readonly bounds: readonly number[] = LATENCY_BUCKETS_SECONDS) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`Histogram name '${name}' is not a valid Prometheus metric name`)
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`Histogram ${name}: bucket bounds must increase, got ${bounds.join(', ')}`)
    }
    this.counts = new Float64Array(bounds.length)
  }

  observe(seconds: number) {
    if (!Number.isFinite(seconds) || seconds < 0) return
    this.count++
    this.sum += seconds
    // Few buckets: a linear scan beats a binary search here.
    for (let i = 0; i < this.bounds.length; i++) {
      if (seconds <= this.bounds[i]!) { this.counts[i]!++; return }
    }
  }

  /** Cumulative counts per bound, then +Inf (= count), as the exposition format wants them. */
  buckets(): [number, number][] {
    const out: [number, number][] = []
    let acc = 0
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.counts[i]!
      out.push([this.bounds[i]!, acc])
    }
    out.push([Infinity, this.count])
    return out
  }
}
