// Metrics a component counts as things happen: counters (a number incremented in place), gauges (read when a
// snapshot is taken), latency timers (timer.ts) and Prometheus histograms (histogram.ts). One registry feeds both
// `/metrics/snapshot` (Mesos' keys, `snapshot()`) and `GET /metrics` (prometheus.ts).
//
// `processMetrics` is the process-wide registry, as libprocess has one per process: components built once per
// daemon (the registrar, the agent's containerizer, sandbox GC, image puller, fetcher) declare their metrics on it
// when they are constructed, never at import time, so a master never reports agent keys although both live in one
// executable. The master's own counters live on its state (src/master/metrics.ts), so harness tests that build
// several masters in one process keep them apart.

import { Histogram, LATENCY_BUCKETS_SECONDS } from './histogram.ts'
import { Timer } from './timer.ts'

export class Counter {
  value = 0
  constructor(readonly name: string, readonly help: string) {}
  inc(by = 1) { this.value += by }
}

export interface Gauge {
  readonly name: string
  readonly help: string
  read(): number
}

export type MetricKind = 'counter' | 'gauge' | 'timer'

export class MetricsRegistry {
  private readonly counters = new Map<string, Counter>()
  private readonly gauges = new Map<string, Gauge>()
  private readonly timers = new Map<string, Timer>()
  private readonly histograms = new Map<string, Histogram>()

  /** The counter called `name`, declared on first use (so it shows as 0 from then on). */
  counter(name: string, help = ''): Counter {
    let c = this.counters.get(name)
    if (!c) {
      this.assertFree(name, this.counters)
      c = new Counter(name, help)
      this.counters.set(name, c)
    }
    return c
  }

  /** A gauge read at snapshot time; declaring it again replaces the reader (a component rebuilt after recovery). */
  gauge(name: string, read: () => number, help = ''): Gauge {
    this.assertFree(name, this.gauges)
    const g = { name, help, read }
    this.gauges.set(name, g)
    return g
  }

  removeGauge(name: string) { this.gauges.delete(name) }

  timer(name: string, help = ''): Timer {
    let t = this.timers.get(name)
    if (!t) {
      this.assertFree(name, this.timers)
      t = new Timer(name, help)
      this.timers.set(name, t)
    }
    return t
  }

  /** A histogram only `GET /metrics` shows; `name` is its Prometheus name without the `meso_` prefix. */
  histogram(name: string, help: string, bounds: readonly number[] = LATENCY_BUCKETS_SECONDS): Histogram {
    let h = this.histograms.get(name)
    if (!h) {
      h = new Histogram(name, help, bounds)
      this.histograms.set(name, h)
    }
    return h
  }

  /** Every counter's value, by name. */
  counterValues(): Map<string, number> {
    return new Map([...this.counters.values()].map(c => [c.name, c.value]))
  }

  /** Mesos' JSON: every counter, gauge and timer key with its value now. */
  snapshot(out: Record<string, number> = {}): Record<string, number> {
    for (const c of this.counters.values()) out[c.name] = c.value
    for (const g of this.gauges.values()) {
      const v = g.read()
      out[g.name] = Number.isFinite(v) ? v : 0
    }
    for (const t of this.timers.values()) t.snapshot(out)
    return out
  }

  /** What `GET /metrics` needs beyond the snapshot: kinds, help, timers and histograms as objects. */
  describe(): RegistryDescription {
    const kinds = new Map<string, MetricKind>()
    const help = new Map<string, string>()
    for (const c of this.counters.values()) { kinds.set(c.name, 'counter'); if (c.help) help.set(c.name, c.help) }
    for (const g of this.gauges.values()) { kinds.set(g.name, 'gauge'); if (g.help) help.set(g.name, g.help) }
    for (const t of this.timers.values()) { kinds.set(t.name, 'timer'); if (t.help) help.set(t.name, t.help) }
    return { kinds, help, timers: [...this.timers.values()], histograms: [...this.histograms.values()] }
  }

  /** Forgets everything (tests that build several daemons in one process). */
  clear() {
    this.counters.clear()
    this.gauges.clear()
    this.timers.clear()
    this.histograms.clear()
  }

  private assertFree(name: string, own: Map<string, unknown>) {
    for (const m of [this.counters, this.gauges, this.timers] as Map<string, unknown>[]) {
      if (m !== own && m.has(name)) throw new Error(`Metric '${name}' is already declared with another kind`)
    }
  }
}

export interface RegistryDescription {
  kinds: Map<string, MetricKind>
  help: Map<string, string>
  timers: Timer[]
  histograms: Histogram[]
}

/** The process-wide registry (see the header). */
export const processMetrics = new MetricsRegistry()
