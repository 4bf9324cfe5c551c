// One watcher for every container's exit file: conmon writes <runtime>/exits/<id> when a container ends. A watcher
// per container (an inotify watch on the same directory, a 1 s poll reading /proc twice) cost the agent ~0.3 ms of
// CPU per container per second while idle and, when many ended at once, woke every watcher for every file (n²
// callbacks). Here one inotify watch routes each new file to its waiter, and one timer is the safety net: a listing
// of the directory every second (an event lost to a full inotify queue), and every few seconds whether each
// container's conmon is still alive (one that died without writing the file).

import { existsSync, readdirSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'

export interface ExitWaiter {
  /** Whether the writer of the file (conmon, or the container itself) may still write it. */
  alive(): boolean
  resolve(r: 'exists' | 'gone'): void
}

export class ExitWatcher {
  private readonly waiters = new Map<string, ExitWaiter[]>()
  private watcher?: FSWatcher
  private timer?: ReturnType<typeof setInterval>
  private ticks = 0

  /** `livenessEvery`: the liveness of each writer is checked on every n-th tick of `tickMs`. */
  constructor(readonly dir: string, private readonly tickMs = 1000, private readonly livenessEvery = 5) {}

  get size(): number { return this.waiters.size }

  /** Resolves 'exists' once `dir/name` exists, or 'gone' when `alive()` says nobody will write it. */
  wait(name: string, alive: () => boolean): Promise<'exists' | 'gone'> {
    return new Promise(resolve => {
      const list = this.waiters.get(name) ?? []
      list.push({ alive, resolve })
      this.waiters.set(name, list)
      this.arm()
      // It may have been written before the watch (or before this call): look once now.
      if (existsSync(join(this.dir, name))) this.settle(name, 'exists')
      else if (!alive()) this.confirmGone(name)
    })
  }

  private arm() {
    if (!this.watcher) {
      try {
        this.watcher = watch(this.dir, (_, f) => { if (f && this.waiters.has(f) && existsSync(join(this.dir, f))) this.settle(f, 'exists') })
        this.watcher.on('error', () => { this.watcher?.close(); this.watcher = undefined })
      } catch { /* the directory listing below still finds it */ }
    }
    this.timer ??= setInterval(() => this.tick(), this.tickMs)
  }

  private tick() {
    const liveness = ++this.ticks % this.livenessEvery === 0
    let present: Set<string>
    try { present = new Set(readdirSync(this.dir)) } catch { present = new Set() }
    for (const [name, list] of this.waiters) {
      if (present.has(name)) this.settle(name, 'exists')
      else if (liveness && !list.some(w => w.alive())) this.confirmGone(name)
    }
  }

  /** The writer may have just finished: look once more, a moment later, before saying it never will. */
  private confirmGone(name: string) {
    setTimeout(() => { if (this.waiters.has(name)) this.settle(name, existsSync(join(this.dir, name)) ? 'exists' : 'gone') }, 50)
  }

  private settle(name: string, r: 'exists' | 'gone') {
    const list = this.waiters.get(name)
    if (!list) return
    this.waiters.delete(name)
    for (const w of list) w.resolve(r)
    if (!this.waiters.size) this.disarm()
  }

  private disarm() {
    this.watcher?.close()
    this.watcher = undefined
    clearInterval(this.timer)
    this.timer = undefined
  }

  close() {
    this.disarm()
  }
}
