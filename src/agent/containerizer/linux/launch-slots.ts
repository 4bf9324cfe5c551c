// How many containers are created at once. A framework that accepts 1,000 tasks in one offer hands the agent 1,000
// launches together; started all at once, 1,000 conmon + crun creates (and their log rotators) share the CPUs, none
// finishes before most have started, and on a 2-CPU machine the first ones come close to conmon's 30 s sync timeout.
// A bound keeps each create's wait short and the process count sane; it is generous (32 per CPU), because fewer
// slots measured slower on a shared machine (200 containers: 8 slots 4.6 s / 12.5 s, unbounded 2.7 s / 4.6 s, two
// interleaved pairs at load 11 and 25): creates block on fork, exec and mounts as much as they compute.

import { availableParallelism } from 'node:os'

export class LaunchSlots {
  private active = 0
  private readonly queue: (() => void)[] = []

  constructor(readonly limit = defaultLaunchSlots()) {
    if (!(limit >= 1)) throw new Error(`launch slots must be at least 1, not ${limit}`)
  }

  get running(): number { return this.active }
  get waiting(): number { return this.queue.length }

  /** Runs `fn` once a slot is free; the slot is released however `fn` ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>(resolve => this.queue.push(resolve))
    else this.active++
    try {
      return await fn()
    } finally {
      const next = this.queue.shift()
      // The slot passes straight to the next in line: `active` stays the same.
      if (next) next()
      else this.active--
    }
  }
}

/** 32 creates per CPU, at least 16. */
export function defaultLaunchSlots(cpus = availableParallelism()): number {
  return Math.max(16, 32 * cpus)
}
