// Garbage collection of finished sandboxes with Mesos' policy: at each disk check, sandboxes whose executor ended
// more than gc_delay × max(0, 1 − gc_disk_headroom − disk usage) ago are removed, oldest first. An empty disk keeps
// them for (almost) the whole --gc_delay; a disk fuller than 1 − headroom loses them all at once.

import { rmSync, statfsSync } from 'node:fs'
import { logger } from '../core/log.ts'
import type { Checkpoint } from './checkpoint.ts'
import { gcMetrics } from './metrics.ts'

const log = logger('gc')

export class SandboxGc {
  private timer?: ReturnType<typeof setInterval>
  removed = 0
  failed = 0

  constructor(
    private readonly checkpoint: Checkpoint,
    workDir: string,
    private readonly delayMs: number,
    private readonly headroom: number,
    private readonly intervalMs: number,
    private readonly onRemoved: (path: string) => void = () => {},
    private readonly usage: () => number | undefined = () => diskUsage(workDir),
  ) {
    this.metrics = gcMetrics(() => this.pending, () => this.maxAllowedAgeMs())
  }

  private readonly metrics: ReturnType<typeof gcMetrics>

  /** How old a finished sandbox may get at the current disk usage (slave/executor_directory_max_allowed_age_secs). */
  maxAllowedAgeMs(): number {
    const usage = this.usage()
    return this.delayMs * (usage === undefined ? 1 : Math.max(0, 1 - this.headroom - usage))
  }

  start() {
    this.timer = setInterval(() => this.collect(), Math.min(this.intervalMs, 60_000))
    this.collect()
  }
  stop() { clearInterval(this.timer) }

  schedule(path: string, now = Date.now()) { this.checkpoint.scheduleGc(path, now + this.delayMs) }

  get pending(): number { return this.checkpoint.gcEntries().length }

  /** Removes sandboxes older than the age the current disk usage allows. */
  collect(now = Date.now()) {
    const entries = this.checkpoint.gcEntries()
    if (!entries.length) return
    const maxAge = this.maxAllowedAgeMs()
    for (const e of entries) {
      const endedAt = e.removeAt - this.delayMs
      if (now - endedAt < maxAge) continue
      try {
        rmSync(e.path, { recursive: true, force: true })
        this.removed++
        this.metrics.succeeded.inc()
        this.onRemoved(e.path)
      } catch (err) {
        this.failed++
        this.metrics.failed.inc()
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
