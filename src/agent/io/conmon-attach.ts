// The switchboard of a container started under conmon with a TTY or stdin: conmon's attach socket
// (SOCK_SEQPACKET; records from conmon are [stream id][bytes], 2 = stdout, 3 = stderr; records to it are raw stdin)
// and its `ctl` FIFO for window sizes ("1 <rows> <cols>"). The agent keeps one connection per container and fans the
// output out to every attached client, so a client leaving never closes the container's stdin.

/** How much output a container may print before its first client attaches and still have that client see it. */
const UNSEEN_MAX = 256 * 1024

import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { logger } from '../../core/log.ts'
import type { ContainerIO } from '../containerizer/launcher.ts'
import { OutputFanout } from './fanout.ts'
import { pollSoon, readLoop } from './fd-poller.ts'
import { connectSeqpacket, shutdownRead, shutdownWrite, writeAll } from './unix.ts'

const log = logger('attach')

export class ConmonAttach implements ContainerIO {
  /** The connection, while its read loop runs (the loop closes it: fd-poller.ts). */
  private fd = -1
  /** The container ended: no new connection, and the output ends with what conmon had sent. */
  private closed = false
  private readonly fanout = new OutputFanout()
  private stdinClosed = false
  /** Output that arrived before the first client attached (connectBeforeStart), oldest first. */
  private unseen?: { stream: 'stdout' | 'stderr'; data: Uint8Array }[]
  private unseenBytes = 0

  constructor(
    readonly id: string,
    private readonly socketPath: string,
    private readonly ctlPath: string,
    readonly tty: boolean,
    readonly stdin: boolean,
    private readonly running: () => boolean,
  ) {}

  private ensureConnected(): boolean {
    if (this.fd >= 0) return true
    if (this.closed || !this.running()) return false
    try {
      this.fd = connectSeqpacket(this.socketPath)
    } catch (err) {
      log.warn(`Container ${this.id}: cannot attach to conmon: ${(err as Error).message}`)
      return false
    }
    const fd = this.fd
    readLoop(fd, rec => {
      if (!rec.length) return
      const stream = this.tty || rec[0] === 2 ? 'stdout' : rec[0] === 3 ? 'stderr' : undefined
      if (stream) this.deliver(stream, rec.subarray(1))
    }, () => {
      // conmon closed the socket (the container is gone, or conmon is), or close() ended the read.
      if (this.fd === fd) this.fd = -1
      if (this.closed || !this.running()) this.fanout.end()
    })
    return true
  }

  /**
   * Connects before the container starts, so that nothing it prints is missed: `meso task run -it` can attach only
   * once it hears TASK_RUNNING, and by then a shell has printed its prompt. Until the first client attaches, output
   * is kept (the latest UNSEEN_MAX bytes) and handed to that client first, as `docker run -it` shows everything.
   */
  connectBeforeStart() {
    this.unseen = []
    if (!this.ensureConnected()) this.unseen = undefined
  }

  private deliver(stream: 'stdout' | 'stderr', data: Uint8Array) {
    if (!this.unseen || this.fanout.size > 0) { this.fanout.emit(stream, data); return }
    this.unseen.push({ stream, data })
    this.unseenBytes += data.length
    while (this.unseenBytes > UNSEEN_MAX && this.unseen.length > 1) this.unseenBytes -= this.unseen.shift()!.data.length
  }

  /** Connected before the start and no client has attached yet: what the container printed waits for the first one. */
  get awaitsFirstClient(): boolean { return this.unseen !== undefined }

  onOutput(fn: (stream: 'stdout' | 'stderr', data: Uint8Array) => void, onEnd: () => void): () => void {
    const unseen = this.unseen
    this.unseen = undefined
    // After the caller has its unsubscribe function, and before any later read (those come as I/O callbacks).
    if (unseen?.length) queueMicrotask(() => { for (const u of unseen) fn(u.stream, u.data) })
    const unsubscribe = this.fanout.subscribe(fn, onEnd)
    if (!this.ensureConnected()) this.fanout.end()
    else pollSoon()
    return unsubscribe
  }

  writeStdin(data: Uint8Array) {
    if (!this.stdin || this.stdinClosed || this.closed || !this.ensureConnected()) return
    writeAll(this.fd, data)
  }

  /** Half-closing our connection makes conmon close the container's stdin; output keeps flowing on a new one. */
  closeStdin() {
    if (!this.stdin || this.stdinClosed || this.fd < 0) return
    this.stdinClosed = true
    shutdownWrite(this.fd)
  }

  resize(rows: number, cols: number) {
    if (!this.tty) return
    try {
      const fd = openSync(this.ctlPath, constants.O_WRONLY | constants.O_NONBLOCK)
      try { writeSync(fd, `1 ${rows} ${cols}\n`) } finally { closeSync(fd) }
    } catch (err) {
      log.warn(`Container ${this.id}: resize failed: ${(err as Error).message}`)
    }
  }

  /**
   * The container ended: conmon sent all its output before it wrote the exit file, so the read loop delivers what is
   * still in the socket, then ends the clients' streams and releases the connection (never closed here: the loop owns it).
   */
  close() {
    if (this.closed) return
    this.closed = true
    if (this.fd >= 0) { shutdownRead(this.fd); pollSoon() } else this.fanout.end()
  }
}
