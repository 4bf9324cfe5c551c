// The few libc calls Bun does not offer, through bun:ffi: SOCK_SEQPACKET connects (conmon's attach socket),
// receiving a file descriptor over a unix socket (an OCI runtime's --console-socket hands over the pty master),
// TIOCSWINSZ, the pipes of the log rotators (logrotate.ts), and poll() with non-blocking descriptors for the read
// loops of fd-poller.ts (Bun.file(fd) would merge SEQPACKET records and pread a pty master, which fails with ESPIPE).

import { dlopen, ptr } from 'bun:ffi'
import { closeSync, rmSync, writeSync } from 'node:fs'

const AF_UNIX = 1
const SOCK_STREAM = 1
const SOCK_SEQPACKET = 5
const SOCK_NONBLOCK = 0o4000
const SOCK_CLOEXEC = 0o2000000
const O_CLOEXEC = 0o2000000
const SHUT_RD = 0
const SHUT_WR = 1
const TIOCSWINSZ = 0x5414n
const FIONBIO = 0x5421n
const POLLIN = 1
const SCM_RIGHTS = 1
const SOL_SOCKET = 1

let lib: ReturnType<typeof load> | undefined
function load() {
  return dlopen('libc.so.6', {
    socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
    connect: { args: ['i32', 'ptr', 'u32'], returns: 'i32' },
    bind: { args: ['i32', 'ptr', 'u32'], returns: 'i32' },
    listen: { args: ['i32', 'i32'], returns: 'i32' },
    accept4: { args: ['i32', 'ptr', 'ptr', 'i32'], returns: 'i32' },
    recvmsg: { args: ['i32', 'ptr', 'i32'], returns: 'i64' },
    ioctl: { args: ['i32', 'u64', 'ptr'], returns: 'i32' },
    shutdown: { args: ['i32', 'i32'], returns: 'i32' },
    mkfifo: { args: ['ptr', 'u32'], returns: 'i32' },
    pipe2: { args: ['ptr', 'i32'], returns: 'i32' },
    poll: { args: ['ptr', 'u64', 'i32'], returns: 'i32' },
  }).symbols
}
const libc = () => (lib ??= load())

function sockaddr(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path)
  if (bytes.length > 107) throw new Error(`unix socket path too long (${bytes.length} bytes): ${path}`)
  const sa = new Uint8Array(110)
  new DataView(sa.buffer).setUint16(0, AF_UNIX, true)
  sa.set(bytes, 2)
  return sa
}

/** Connects a SOCK_SEQPACKET socket (blocking fd) to `path`. */
export function connectSeqpacket(path: string): number {
  const fd = libc().socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)
  if (fd < 0) throw new Error('socket(AF_UNIX, SOCK_SEQPACKET) failed')
  const sa = sockaddr(path)
  if (libc().connect(fd, ptr(sa), 110) !== 0) {
    closeSync(fd)
    throw new Error(`cannot connect to ${path}`)
  }
  return fd
}

/** Creates a named pipe (an existing one at `path` is replaced). */
export function makeFifo(path: string, mode = 0o600) {
  rmSync(path, { force: true })
  const p = new TextEncoder().encode(`${path}\0`)
  if (libc().mkfifo(ptr(p), mode) !== 0) throw new Error(`mkfifo ${path} failed`)
}

/** A pipe whose ends are not inherited by children unless handed to them as stdio: [read end, write end]. */
export function makePipe(): [number, number] {
  const fds = new Int32Array(2)
  if (libc().pipe2(ptr(fds), O_CLOEXEC) !== 0) throw new Error('pipe2 failed')
  return [fds[0]!, fds[1]!]
}

/** Half-closes a socket: the peer reads EOF (conmon then closes the container's stdin). */
export function shutdownWrite(fd: number) { libc().shutdown(fd, SHUT_WR) }

export function setWindowSize(fd: number, rows: number, cols: number): boolean {
  const ws = new Uint16Array([rows, cols, 0, 0])
  return libc().ioctl(fd, TIOCSWINSZ, ptr(ws)) === 0
}

/**
 * A listening unix socket that receives one file descriptor (what `crun exec --console-socket` sends). Polls a
 * non-blocking socket so a runtime that fails before connecting cannot hang the agent.
 */
export class ConsoleSocket {
  private readonly fd: number
  constructor(readonly path: string) {
    rmSync(path, { force: true })
    this.fd = libc().socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
    const sa = sockaddr(path)
    if (this.fd < 0 || libc().bind(this.fd, ptr(sa), 110) !== 0 || libc().listen(this.fd, 1) !== 0) {
      this.close()
      throw new Error(`cannot listen on console socket ${path}`)
    }
  }

  async receiveFd(timeoutMs: number, gaveUp: () => boolean): Promise<number> {
    const deadline = Date.now() + timeoutMs
    let conn = -1
    while (conn < 0) {
      conn = libc().accept4(this.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC)
      if (conn >= 0) break
      if (Date.now() > deadline || gaveUp()) throw new Error('the runtime never connected to the console socket')
      await Bun.sleep(2)
    }
    try {
      // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags } with one iovec and room for one fd.
      const data = new Uint8Array(256)
      const iov = new BigUint64Array([BigInt(ptr(data)), 256n])
      const control = new Uint8Array(64)
      const msg = new BigUint64Array([0n, 0n, BigInt(ptr(iov)), 1n, BigInt(ptr(control)), 64n, 0n])
      for (;;) {
        const n = libc().recvmsg(conn, ptr(msg), 0)
        if (Number(n) >= 0) break
        if (Date.now() > deadline || gaveUp()) throw new Error('no file descriptor arrived on the console socket')
        await Bun.sleep(2)
      }
      const dv = new DataView(control.buffer)
      if (dv.getInt32(8, true) !== SOL_SOCKET || dv.getInt32(12, true) !== SCM_RIGHTS) throw new Error('the console socket message carried no file descriptor')
      return dv.getInt32(16, true)
    } finally {
      closeSync(conn)
    }
  }

  close() {
    try { closeSync(this.fd) } catch { /* already closed */ }
    rmSync(this.path, { force: true })
  }
}

/** Makes reads and writes on fd return EAGAIN instead of waiting. */
export function setNonBlocking(fd: number) {
  if (libc().ioctl(fd, FIONBIO, ptr(new Int32Array([1]))) !== 0) throw new Error(`cannot make fd ${fd} non-blocking`)
}

/**
 * Which of `fds` have something to read, an EOF, an error or a hang-up (poll(2) without waiting): `revents` per fd,
 * 0 for none. POLLNVAL (0x20) means the number is not open.
 */
export function pollNow(fds: readonly number[]): number[] {
  if (!fds.length) return []
  // struct pollfd { int fd; short events; short revents; }: little-endian, events in the low half of the 2nd int.
  const table = new Int32Array(fds.length * 2)
  fds.forEach((fd, i) => { table[2 * i] = fd; table[2 * i + 1] = POLLIN })
  if (libc().poll(ptr(table), BigInt(fds.length), 0) < 0) return fds.map(() => 0)
  return fds.map((_, i) => (table[2 * i + 1]! >>> 16) & 0xffff)
}

/** Ends a read loop (fd-poller.ts) on a socket: data already received is still read, then EOF, and the loop closes the fd. */
export function shutdownRead(fd: number) { libc().shutdown(fd, SHUT_RD) }

/** write() that retries EAGAIN briefly; false when the peer is gone. */
export function writeAll(fd: number, data: Uint8Array): boolean {
  let off = 0
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') { Bun.sleepSync(1); continue }
      return false
    }
  }
  return true
}
