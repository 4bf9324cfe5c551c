// The agent's side of its log rotator (logrotate-daemon.ts): finds the rotator on its socket or starts it (detached,
// in a session of its own, so it outlives the agent), makes the named pipe a container writes into and has the
// rotator adopt it. A restarted agent adopts the pipes of the containers it re-adopts again (the rotator keeps those
// it still reads); should the rotator itself have gone, the next request starts a new one and everything this agent
// knows of is adopted again, each rotated file continuing from its actual size.

import type { Socket } from 'bun'
import { closeSync, constants, openSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { logger } from '../../core/log.ts'
import type { LogRotation } from './logrotate-policy.ts'
import { encode, LineSplitter, parseFromRotator, type StreamSpec } from './logrotate-protocol.ts'
import { SocketLines } from './socket-lines.ts'
import { makeFifo } from './unix.ts'

const log = logger('logrotate')

/** How this executable runs one of its own commands: the compiled binary itself, or Bun with the sources' entry point. */
export function selfCommand(): string[] {
  return import.meta.url.includes('$bunfs') ? [process.execPath] : [process.execPath, join(import.meta.dir, '../../main.ts')]
}

interface Connection { socket: Socket<undefined>; lines: SocketLines }

/** One connection attempt: a connect that hangs must not keep the start deadline from being checked. */
const CONNECT_TIMEOUT_MS = 2_000

export class LogRotatorClient {
  private conn?: Promise<Connection>
  /** The open connection, set as soon as it is made: its close and error events must act once, synchronously. */
  private current?: Connection
  private closed = false
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (known: boolean) => void; reject: (err: Error) => void }>()
  /** The streams adopted through this agent and not yet ended: adopted again by a rotator started after one died. */
  private readonly known = new Map<string, StreamSpec>()

  /** `socket`: the rotator's socket (in the agent's runtime dir); its log goes next to it. */
  constructor(readonly socket: string, private readonly command: string[] = selfCommand(), private readonly startTimeoutMs = 30_000) {}

  /**
   * A named pipe at `fifo`, read by the rotator into `file`, and a write end of it for the container (the caller
   * hands it on and closes it). The rotator sees EOF once the last writer is gone.
   */
  async sink(fifo: string, file: string, rotation: LogRotation): Promise<number> {
    makeFifo(fifo)
    // A reader and writer of our own until the rotator has opened its end: the O_WRONLY open below needs a reader,
    // and the rotator's first read must find a writer (or it would take "none yet" for EOF).
    const hold = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK)
    try {
      const w = openSync(fifo, constants.O_WRONLY)
      try {
        await this.adopt({ fifo, file, rotation })
      } catch (err) {
        closeSync(w)
        throw err
      }
      return w
    } finally {
      closeSync(hold)
    }
  }

  /** Adopts a pipe again after an agent restart: a no-op for one the rotator still reads. */
  async readopt(fifo: string, file: string, rotation: LogRotation): Promise<void> {
    await this.adopt({ fifo, file, rotation })
  }

  private async adopt(spec: StreamSpec): Promise<void> {
    // Again on a fresh connection when the rotator went away under the request (a new one is then started). A
    // rotator being killed can still take a connection or two in the kernel before its socket goes: a few tries.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.adoptOnce(spec)
      } catch (err) {
        if (!(err instanceof RotatorGone) || attempt >= 5) throw err
        await Bun.sleep(20 * attempt)
      }
    }
  }

  private async adoptOnce(spec: StreamSpec): Promise<void> {
    const c = await this.connection()
    // Known before it is sent: the rotator's "ended" for it may arrive in the same read as its answer.
    this.known.set(spec.fifo, spec)
    try {
      await this.request(c, spec)
    } catch (err) {
      this.known.delete(spec.fifo)
      throw err
    }
  }

  /** Sends an adopt request on `c`; settles with the rotator's answer (whether it already read the pipe). */
  private request(c: Connection, spec: StreamSpec): Promise<boolean> {
    const id = this.nextId++
    const done = new Promise<boolean>((resolve, reject) => this.pending.set(id, { resolve, reject }))
    c.lines.send(encode({ op: 'adopt', id, ...spec }))
    return done
  }

  /** Hangs up (the rotator stays while it has streams). */
  close() {
    this.closed = true
    const c = this.conn
    this.conn = undefined
    this.current = undefined
    void c?.then(x => x.socket.end(), () => {})
  }

  private connection(): Promise<Connection> {
    this.conn ??= this.connect().catch(err => { this.conn = undefined; throw err })
    return this.conn
  }

  private async connect(): Promise<Connection> {
    const bytes = Buffer.byteLength(this.socket)
    if (bytes > 107) throw new Error(`the log rotator's socket path ${this.socket} is ${bytes} bytes, more than a unix socket takes (107): use a shorter --runtime_dir`)
    let c = await this.tryConnect()
    let startedNew = false
    if (!c) {
      this.spawnRotator()
      startedNew = true
      const deadline = Date.now() + this.startTimeoutMs
      while (!(c = await this.tryConnect())) {
        if (Date.now() > deadline) throw new Error(`the log rotator did not answer on ${this.socket} within ${this.startTimeoutMs / 1000} s (see ${this.logPath})`)
        await Bun.sleep(50)
      }
    }
    // A new rotator knows none of the streams the previous one read: hand it all that have not ended.
    if (startedNew && this.known.size) {
      log.warn(`Log rotator restarted: adopting ${this.known.size} stream(s) again`)
      const again = [...this.known.values()].map(spec => {
        return this.request(c, spec).catch(err => {
          this.known.delete(spec.fifo)
          log.warn(`${spec.file} is no longer rotated: ${(err as Error).message}`)
        })
      })
      await Promise.all(again)
    }
    return c
  }

  private get logPath() { return join(dirname(this.socket), 'logrotate.log') }

  /** A connection to the rotator, or undefined when none answers within CONNECT_TIMEOUT_MS (the deadline loop goes on). */
  private async tryConnect(): Promise<Connection | undefined> {
    const splitter = new LineSplitter(line => this.received(line), () => log.warn('the log rotator sent an over-long line'))
    let lines: SocketLines | undefined
    let gaveUp = false
    const connecting = Bun.connect({
      unix: this.socket,
      socket: {
        data: (_s, chunk) => splitter.push(chunk),
        drain: () => lines?.flush(),
        close: s => this.lost(s),
        error: s => this.lost(s),
      },
    }).then(socket => {
      // Made after this attempt gave up: not ours to use (the next attempt makes its own).
      if (gaveUp) { socket.end(); return undefined }
      return socket
    }, () => undefined)
    const socket = await Promise.race([connecting, Bun.sleep(CONNECT_TIMEOUT_MS).then(() => undefined)])
    if (!socket) { gaveUp = true; return undefined }
    lines = new SocketLines(socket)
    this.current = { socket, lines }
    return this.current
  }

  private lost(socket: Socket<undefined>) {
    if (this.current?.socket !== socket) return
    this.current = undefined
    this.conn = undefined
    const err = new RotatorGone(`the log rotator on ${this.socket} went away`)
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    // Streams it was reading have no reader now: a new rotator at once, before their next write gets SIGPIPE.
    if (this.known.size && !this.closed) this.connection().catch(e => log.warn(`${this.known.size} stream(s) are not rotated: ${(e as Error).message}`))
  }

  private received(line: string) {
    const m = parseFromRotator(line)
    if (!m) return
    if ('event' in m) {
      this.known.delete(m.fifo)
      if (m.error) log.warn(`Log rotation of ${m.fifo} failed: ${m.error}`)
      return
    }
    const p = this.pending.get(m.id)
    if (!p) return
    this.pending.delete(m.id)
    if ('error' in m) p.reject(new Error(m.error))
    else p.resolve(m.known)
  }

  private spawnRotator() {
    const out = openSync(this.logPath, 'a', 0o600)
    try {
      // setsid: a session of its own, so neither the agent's end nor a Ctrl-C on `meso up` reaches it.
      const proc = Bun.spawn(['setsid', ...this.command, '__logrotate', this.socket], { stdio: ['ignore', out, out], env: { ...process.env, NO_COLOR: '1' } })
      proc.unref()
    } finally {
      closeSync(out)
    }
  }
}

class RotatorGone extends Error {}
