// When probes run (upstream CheckerProcess in src/checks/checker_process.cpp): the first `delay` after the start,
// each next one `interval` after the previous one finished or timed out; a probe running past `timeout` is aborted
// (its process killed) and counts as an error. Stopping is final; a result that arrives after it is dropped. The
// clock is injected so that tests drive time by hand.

import { formatDuration } from '../../core/duration.ts'
import type { ProbeTiming } from './check-types.ts'
import type { ProbeOutcome } from './check-results.ts'

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** Runs one probe; it must stop (kill what it started) when `signal` aborts. */
export type Probe = (signal: AbortSignal) => Promise<ProbeOutcome>

export class ProbeLoop {
  private timer: unknown
  private stopped = false
  private running?: AbortController

  constructor(
    private readonly timing: ProbeTiming,
    private readonly probe: Probe,
    private readonly onOutcome: (o: ProbeOutcome) => void,
    /** Names the probe in timeout messages ("COMMAND health check"). */
    private readonly name: string,
    private readonly clock: Clock = realClock,
  ) {}

  start() {
    this.schedule(this.timing.delayMs)
  }

  stop() {
    this.stopped = true
    this.clock.clearTimeout(this.timer)
    this.running?.abort(new Error(`${this.name} stopped`))
  }

  get isStopped(): boolean { return this.stopped }

  private schedule(ms: number) {
    if (this.stopped) return
    this.timer = this.clock.setTimeout(() => void this.run(), ms)
  }

  private async run() {
    if (this.stopped) return
    const abort = new AbortController()
    this.running = abort
    let timer: unknown
    const timedOut = new Promise<ProbeOutcome>(resolve => {
      if (this.timing.timeoutMs === Infinity) return
      timer = this.clock.setTimeout(() => {
        // Settled before the abort, so that the probe's own reaction to it cannot win the race.
        resolve({ kind: 'error', message: `${this.name} timed out after ${formatDuration(this.timing.timeoutMs)}` })
        abort.abort(new Error('timed out'))
      }, this.timing.timeoutMs)
    })
    let outcome: ProbeOutcome
    try {
      outcome = await Promise.race([this.probe(abort.signal), timedOut])
    } catch (err) {
      outcome = { kind: 'error', message: `${this.name} failed: ${(err as Error).message}` }
    } finally {
      this.clock.clearTimeout(timer)
      this.running = undefined
    }
    if (this.stopped) return
    this.onOutcome(outcome)
    this.schedule(this.timing.intervalMs)
  }
}
