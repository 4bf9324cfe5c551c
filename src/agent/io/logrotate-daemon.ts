// The agent's log rotator (docs/containerizer.md, sandbox logs): one process per agent, `meso __logrotate <socket>`,
// started by the agent in a session of its own so that it outlives the agent (a restart, `kill -9`). Containers
// write their stdout/stderr into named pipes under their bundle; the agent asks this process, over a unix socket, to
// adopt each pipe (open it by path) and rotate what comes out of it into the sandbox file by the rules of
// logrotate-policy.ts (through RotatingFile). A restarted agent connects to the same socket and adopts the pipes of
// the containers it re-adopts again: those already here are left as they are, so nothing is read twice or lost.
//
// A stream ends at EOF, when every writer (the container, conmon) has closed the pipe. A stream that cannot be
// written (disk full, sandbox removed) leaves the reason in `<file>.logrotate-error` and keeps draining its pipe, so
// the task never gets SIGPIPE for it. The process exits when it has no stream left and no agent connected.

import type { Socket, UnixSocketListener } from 'bun'
import { chmodSync, closeSync, constants, openSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { encode, LineSplitter, parseRequest, type EndedEvent, type Reply, type StreamSpec } from './logrotate-protocol.ts'
import { RotatingFile } from './rotating-file.ts'
import { SocketLines } from './socket-lines.ts'

interface Client { lines: SocketLines; splitter: LineSplitter }

interface Stream { spec: StreamSpec; fd: number; out: RotatingFile; error?: string }

export interface LogRotatorOptions {
  socket: string
  /** How long it stays with no stream and no agent before it exits (an agent restarting meanwhile finds it). */
  idleExitMs?: number
  /**
   * The same before any agent has connected: longer, because the agent that started it may be slow to get to it on a
   * loaded host (1,000 CNI launches at once: load 67 on 2 vCPUs), and a rotator that left before it connected made
   * every launch waiting on it fail.
   */
  firstClientMs?: number
  onIdle?: () => void
  log?: (line: string) => void
}

export class LogRotator {
  /** By the pipe's device and inode: a new pipe at a reused path is a new stream. */
  private readonly streams = new Map<string, Stream>()
  private readonly clients = new Set<Socket<Client>>()
  private listener?: UnixSocketListener<Client>
  private idleTimer?: ReturnType<typeof setTimeout>
  private everConnected = false

  constructor(private readonly o: LogRotatorOptions) {}

  /** Listens on the socket, or says another rotator already answers there (then this one has nothing to do). */
  async start(): Promise<'listening' | 'already-running'> {
    if (await answers(this.o.socket)) return 'already-running'
    rmSync(this.o.socket, { force: true })
    this.listener = Bun.listen<Client>({
      unix: this.o.socket,
      socket: {
        open: s => {
          s.data = { lines: new SocketLines(s), splitter: new LineSplitter(line => this.request(s, line), () => s.data.lines.send(encode({ id: -1, error: 'request line too long' }))) }
          this.clients.add(s)
          this.everConnected = true
          this.checkIdle()
        },
        data: (s, chunk) => s.data.splitter.push(chunk),
        drain: s => s.data.lines.flush(),
        close: s => { this.clients.delete(s); this.checkIdle() },
        error: s => { this.clients.delete(s); this.checkIdle() },
      },
    })
    chmodSync(this.o.socket, 0o600)
    this.checkIdle()
    return 'listening'
  }

  get streamCount() { return this.streams.size }

  stop() {
    clearTimeout(this.idleTimer)
    this.listener?.stop(true)
    this.listener = undefined
    rmSync(this.o.socket, { force: true })
  }

  private request(s: Socket<Client>, line: string) {
    const parsed = parseRequest(line)
    let reply: Reply
    if ('error' in parsed) reply = { id: parsed.id ?? -1, error: parsed.error }
    else {
      try {
        reply = { id: parsed.request.id, ok: true, known: this.adopt(parsed.request) }
      } catch (err) {
        reply = { id: parsed.request.id, error: `cannot rotate ${parsed.request.fifo} into ${parsed.request.file}: ${(err as Error).message}` }
      }
    }
    s.data.lines.send(encode(reply))
  }

  /** Opens the pipe and starts reading it; true when it was already being read. */
  adopt(spec: StreamSpec): boolean {
    const st = statSync(spec.fifo)
    if (!st.isFIFO()) throw new Error('not a named pipe')
    const key = `${st.dev}:${st.ino}`
    if (this.streams.has(key)) return true
    // Non-blocking: the open returns at once. The agent holds a writer open until this answers, so the first read
    // cannot see an EOF that only means "no writer yet".
    const fd = openSync(spec.fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const stream: Stream = { spec, fd, out: new RotatingFile(spec.file, spec.rotation) }
    // The sandbox has its `stdout` from the start, as Mesos' does; a failure here shows at the first write.
    try { closeSync(openSync(spec.file, 'a')) } catch { /* reported by write() */ }
    this.streams.set(key, stream)
    clearTimeout(this.idleTimer)
    void this.pump(key, stream)
    return false
  }

  private async pump(key: string, s: Stream) {
    try {
      for await (const chunk of Bun.file(s.fd).stream()) this.write(s, chunk)
    } catch (err) {
      s.error ??= `reading ${s.spec.fifo}: ${(err as Error).message}`
    }
    s.out.close()
    try { closeSync(s.fd) } catch { /* closed with the stream */ }
    this.streams.delete(key)
    const ended: EndedEvent = { event: 'ended', fifo: s.spec.fifo, ...(s.error ? { error: s.error } : {}) }
    for (const c of this.clients) c.data.lines.send(encode(ended))
    this.checkIdle()
  }

  private write(s: Stream, chunk: Uint8Array) {
    if (s.error) return // draining: the task must not get SIGPIPE because its log cannot be written
    try {
      s.out.write(chunk)
    } catch (err) {
      s.error = (err as Error).message
      s.out.close()
      try { writeFileSync(`${s.spec.file}.logrotate-error`, `${s.error}\n`) } catch { /* the sandbox itself is gone */ }
      this.o.log?.(`${s.spec.file}: ${s.error}; draining the rest of the output`)
    }
  }

  private checkIdle() {
    clearTimeout(this.idleTimer)
    if (this.streams.size || this.clients.size || !this.listener) return
    const ms = this.everConnected ? this.o.idleExitMs ?? 5000 : this.o.firstClientMs ?? 60_000
    this.idleTimer = setTimeout(() => {
      if (this.streams.size || this.clients.size) return
      this.stop()
      this.o.log?.(`no stream and no agent for ${ms / 1000} s: exiting`)
      this.o.onIdle?.()
    }, ms)
  }
}

/** Whether a rotator listens at `path` (connects and hangs up). */
export async function answers(path: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const s = await Promise.race([
      Bun.connect({ unix: path, socket: { data() {} } }),
      Bun.sleep(timeoutMs).then(() => undefined),
    ])
    s?.end()
    return !!s
  } catch {
    return false
  }
}
