// Output of a container without a switchboard (no TTY, no stdin): follow its sandbox stdout and stderr files from
// their current end, which is exactly "output since attach".

import { closeSync, openSync, readSync, statSync, watch } from 'node:fs'
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

  constructor(private readonly sandbox: string, exited: Promise<unknown>) {
    const size = (f: string) => { try { return statSync(join(sandbox, f)).size } catch { return 0 } }
    this.offsets = { stdout: size('stdout'), stderr: size('stderr') }
    for (const s of ['stdout', 'stderr'] as const) {
      try { this.watchers.push(watch(join(sandbox, s), () => this.read(s))) } catch { /* polled instead */ }
    }
    this.timer = setInterval(() => { this.read('stdout'); this.read('stderr') }, 250)
    void exited.then(() => { this.read('stdout'); this.read('stderr'); this.stop() })
  }

  private read(stream: 'stdout' | 'stderr') {
    const path = join(this.sandbox, stream)
    let size: number
    try { size = statSync(path).size } catch { return }
    if (size <= this.offsets[stream]) return
    const fd = openSync(path, 'r')
    try {
      const buf = Buffer.alloc(size - this.offsets[stream])
      const n = readSync(fd, buf, 0, buf.length, this.offsets[stream])
      this.offsets[stream] += n
      this.fanout.emit(stream, new Uint8Array(buf.subarray(0, n)))
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
