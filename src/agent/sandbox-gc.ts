// Garbage collection of finished sandboxes: each is removed --gc_delay after its executor ended, sooner when the
// disk is fuller than (1 - --gc_disk_headroom), oldest first — Mesos' GC policy.

import { rmSync, statfsSync } from 'node:fs'
import { logger } from '../core/log.ts'
import type { Checkpoint } from './checkpoint.ts'

const log = logger('gc')

export class SandboxGc {
  private timer?: ReturnType<typeof setInterval>
  removed = 0
  failed = 0

  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly workDir: string,
    private readonly delayMs: number,
    private readonly headroom: number,
    private readonly intervalMs: number,
    private readonly onRemoved: (path: string) => void = () => {},
  ) {}

  start() {
    this.timer = setInterval(() => this.collect(), Math.min(this.intervalMs, 60_000))
    this.collect()
  }
  stop() { clearInterval(this.timer) }

  schedule(path: string, now = Date.now()) { this.checkpoint.scheduleGc(path, now + this.delayMs) }

  get pending(): number { return this.checkpoint.gcEntries().length }

  /** Removes due sandboxes; under disk pressure, also the oldest scheduled ones until usage is acceptable. */
  collect(now = Date.now()) {
    const entries = this.checkpoint.gcEntries()
    if (!entries.length) return
    const usage = diskUsage(this.workDir)
    // Mesos shortens the delay proportionally to how far usage is above the headroom.
    const pressure = usage === undefined ? 0 : Math.max(0, usage - (1 - this.headroom))
    const effectiveDelayCut = pressure > 0 ? this.delayMs * Math.min(1, pressure / Math.max(this.headroom, 0.01)) : 0
    for (const e of entries) {
      if (e.removeAt - effectiveDelayCut > now) continue
      try {
        rmSync(e.path, { recursive: true, force: true })
        this.removed++
        this.onRemoved(e.path)
      } catch (err) {
        this.failed++
        log.warn(`Failed to remove sandbox ${e.path}: ${(err as Error).message}`)
      }
      this.checkpoint.unscheduleGc(e.path)
    }
  }
}

export function diskUsage(path: string): number | undefined {
  try {
    const s = statfsSync(path)
    return s.blocks ? 1 - s.bavail / s.blocks : undefined
  } catch {
    return undefined
  }
}
