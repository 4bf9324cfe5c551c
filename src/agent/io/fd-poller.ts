// Read loops over descriptors Bun cannot stream: conmon's attach sockets (SOCK_SEQPACKET, whose records must stay
// whole) and the pty masters of exec sessions. They are non-blocking, and one poller for the whole agent polls them
// all (poll(2) with no wait) on a timer that runs only while a loop exists: every few milliseconds after output, backing
// off to MAX_INTERVAL_MS when all are quiet. Reads happen on the JS thread, each read() one record.
//
// Why not a blocking read() per loop on Bun's thread pool (as fs.read does): the pool has as many threads as the
// machine has CPUs, and a read waits until the container prints. Two idle `meso task run -it` shells on a 2-CPU agent
// held both threads, and everything else that needs the pool waited behind them: the next container's create
// (reading conmon.pid), other containers' output, any asynchronous file read. And a read still queued there when its
// fd was closed ran later on whatever that number had become (docs/containerizer.md, the linux launcher's seams).

import { closeSync, readSync } from 'node:fs'
import { logger } from '../../core/log.ts'
import { pollNow, setNonBlocking } from './unix.ts'

const log = logger('fd-poller')

const MIN_INTERVAL_MS = 2
/** The longest a quiet loop waits to notice new output: the latency of a keystroke's echo after a pause. */
const MAX_INTERVAL_MS = 40
/** Records read from one fd per tick, so that one chatty container cannot starve the others. */
const MAX_READS_PER_TICK = 64
const POLLNVAL = 0x20

interface Loop {
  fd: number
  buf: Buffer
  onData: (chunk: Uint8Array) => void
  onEnd: (err?: NodeJS.ErrnoException) => void
}

const loops = new Map<number, Loop>()
let timer: ReturnType<typeof setTimeout> | undefined
let interval = MIN_INTERVAL_MS

/**
 * Reads fd until EOF or error, then calls onEnd and closes it: the loop owns the fd, nobody else closes it. To end
 * it early, shut a socket down for reading (unix.ts shutdownRead): what was received is still delivered, then EOF.
 */
export function readLoop(fd: number, onData: (chunk: Uint8Array) => void, onEnd: (err?: NodeJS.ErrnoException) => void, size = 8193) {
  setNonBlocking(fd)
  loops.set(fd, { fd, buf: Buffer.alloc(size), onData, onEnd })
  pollSoon()
}

/**
 * Polls on the next turn of the event loop instead of after the back-off: for a reader that just started to wait
 * (a client attached, a connection was shut down), so what is already there is not held back by the quiet before.
 */
export function pollSoon() {
  if (!loops.size) return
  interval = MIN_INTERVAL_MS
  if (timer) clearTimeout(timer)
  timer = setTimeout(tick, 0)
}

/** How many read loops are running (tests). */
export function readLoops(): number { return loops.size }

function tick() {
  timer = undefined
  const fds = [...loops.keys()]
  const revents = pollNow(fds)
  let active = false
  fds.forEach((fd, i) => {
    const ev = revents[i] ?? 0
    const loop = loops.get(fd)
    if (!ev || !loop) return
    if (ev & POLLNVAL) { end(loop, Object.assign(new Error(`fd ${fd} was closed under its read loop`), { code: 'EBADF' }), false); return }
    if (drain(loop)) active = true
  })
  if (!loops.size) return
  interval = active ? MIN_INTERVAL_MS : Math.min(interval * 2, MAX_INTERVAL_MS)
  timer = setTimeout(tick, interval)
}

/** Reads what is there; true when something was read. */
function drain(loop: Loop): boolean {
  for (let reads = 0; reads < MAX_READS_PER_TICK; reads++) {
    let n: number
    try {
      n = readSync(loop.fd, loop.buf, 0, loop.buf.length, null)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK' || e.code === 'EINTR') return reads > 0
      // A pty master reports the slave side closing as EIO: that is the normal end.
      end(loop, e.code === 'EIO' ? undefined : e, true)
      return true
    }
    if (n === 0) { end(loop, undefined, true); return true }
    try { loop.onData(new Uint8Array(loop.buf.subarray(0, n))) } catch (err) {
      log.warn(`A reader of fd ${loop.fd} failed: ${(err as Error).message}`)
    }
  }
  return true
}

function end(loop: Loop, err: NodeJS.ErrnoException | undefined, close: boolean) {
  loops.delete(loop.fd)
  try { loop.onEnd(err) } catch (e) {
    log.warn(`The end of a reader of fd ${loop.fd} failed: ${(e as Error).message}`)
  } finally {
    if (close) { try { closeSync(loop.fd) } catch { /* closed */ } }
  }
}
