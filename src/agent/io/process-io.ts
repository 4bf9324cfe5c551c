// Streams of a process the agent started itself (exec sessions): separate pipes, or a pty master for a TTY.

import type { Subprocess } from 'bun'
import type { ContainerIO } from '../containerizer/launcher.ts'
import { OutputFanout } from './fanout.ts'
import { readLoop } from './fd-poller.ts'
import { setWindowSize, writeAll } from './unix.ts'

export class PipeIO implements ContainerIO {
  readonly tty = false
  readonly stdin = true
  private readonly fanout = new OutputFanout()
  private pending = 2

  constructor(private readonly proc: Subprocess<'pipe', 'pipe', 'pipe'>) {
    const pump = async (stream: ReadableStream<Uint8Array>, name: 'stdout' | 'stderr') => {
      try { for await (const chunk of stream) this.fanout.emit(name, chunk) } catch { /* process gone */ }
      if (--this.pending === 0) this.fanout.end()
    }
    void pump(proc.stdout, 'stdout')
    void pump(proc.stderr, 'stderr')
  }

  onOutput(fn: (stream: 'stdout' | 'stderr', data: Uint8Array) => void, onEnd: () => void) { return this.fanout.subscribe(fn, onEnd) }
  writeStdin(data: Uint8Array) { try { this.proc.stdin.write(data); this.proc.stdin.flush() } catch { /* exited */ } }
  closeStdin() { try { this.proc.stdin.end() } catch { /* exited */ } }
  resize() { /* no terminal */ }
}

export class PtyIO implements ContainerIO {
  readonly tty = true
  readonly stdin = true
  private readonly fanout = new OutputFanout()
  /** The read loop ended and closed the master (fd-poller.ts): nothing may use its number any more. */
  private closed = false

  constructor(private readonly master: number) {
    readLoop(master, chunk => this.fanout.emit('stdout', chunk), () => { this.closed = true; this.fanout.end() })
  }

  onOutput(fn: (stream: 'stdout' | 'stderr', data: Uint8Array) => void, onEnd: () => void) { return this.fanout.subscribe(fn, onEnd) }
  writeStdin(data: Uint8Array) { if (!this.closed) writeAll(this.master, data) }
  /** A terminal has no EOF of its own: send EOT, as a user typing Ctrl-D would. */
  closeStdin() { this.writeStdin(new Uint8Array([4])) }
  resize(rows: number, cols: number) { if (!this.closed) setWindowSize(this.master, rows, cols) }
}
