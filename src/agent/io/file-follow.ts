// Output of a container without a switchboard (no TTY, no stdin): follow its sandbox stdout and stderr files from
// their current end, which is exactly "output since attach", and across rotations (logrotate.ts).

import { closeSync, fstatSync, openSync, readSync, statSync, watch } from 'node:fs'
import { join } from 'node:path'
import type { ContainerIO } from '../containerizer/launcher.ts'
import { OutputFanout } from './fanout.ts'

export class FileFollowIO implements ContainerIO {
  readonly tty = false
  readonly stdin = false
  private readonly fanout = new OutputFanout()
  private readonly offsets: Record<'stdout' | 'stderr', number>
  private readonly watchers: ReturnType<typeof watch>[] = []
  private readonly timer: ReturnType<typeof setInterval>

  /** The inode each offset belongs to: a rotated stream (logrotate.ts) has a new leading file. */
  private readonly inodes: Record<'stdout' | 'stderr', number>

  constructor(private readonly sandbox: string, exited: Promise<unknown>) {
    const st = (f: string) => { try { return statSync(join(sandbox, f)) } catch { return undefined } }
    this.offsets = { stdout: st('stdout')?.size ?? 0, stderr: st('stderr')?.size ?? 0 }
    this.inodes = { stdout: st('stdout')?.ino ?? 0, stderr: st('stderr')?.ino ?? 0 }
    for (const s of ['stdout', 'stderr'] as const) {
      try { this.watchers.push(watch(join(sandbox, s), () => this.read(s))) } catch { /* polled instead */ }
    }
    this.timer = setInterval(() => { this.read('stdout'); this.read('stderr') }, 250)
    void exited.then(() => { this.read('stdout'); this.read('stderr'); this.stop() })
  }

  private read(stream: 'stdout' | 'stderr') {
    const path = join(this.sandbox, stream)
    let st: { size: number; ino: number }
    try { st = statSync(path) } catch { return }
    if (this.inodes[stream] && st.ino !== this.inodes[stream]) {
      // Rotated since the last read: the rest of the old file is now `<stream>.1` (unless it rotated further on).
      const old = `${path}.1`
      try { if (statSync(old).ino === this.inodes[stream]) this.emitFrom(old, stream) } catch { /* gone */ }
      this.offsets[stream] = 0
    } else if (st.size < this.offsets[stream]) {
      this.offsets[stream] = 0
    }
    this.inodes[stream] = st.ino
    this.emitFrom(path, stream)
  }

  private emitFrom(path: string, stream: 'stdout' | 'stderr') {
    let fd: number
    try { fd = openSync(path, 'r') } catch { return }
    try {
      const size = fstatSync(fd).size
      if (size <= this.offsets[stream]) return
      const buf = Buffer.alloc(size - this.offsets[stream])
      const n = readSync(fd, buf, 0, buf.length, this.offsets[stream])
      this.offsets[stream] += n
      if (n) this.fanout.emit(stream, new Uint8Array(buf.subarray(0, n)))
    } finally {
      closeSync(fd)
    }
  }

  private stop() {
    clearInterval(this.timer)
    for (const w of this.watchers) w.close()
    this.fanout.end()
  }

  onOutput(fn: (stream: 'stdout' | 'stderr', data: Uint8Array) => void, onEnd: () => void) {
    const un = this.fanout.subscribe(fn, onEnd)
    return () => { un(); if (!this.fanout.size) this.stop() }
  }
  writeStdin() { /* no stdin */ }
  closeStdin() { /* no stdin */ }
  resize() { /* no terminal */ }
}
