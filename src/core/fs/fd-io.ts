// Reading what openBeneath (beneath.ts) opened, through the fd and never through a path string again
// (docs/security-files.md): /proc/self/fd/<fd> names the open file itself, so re-opening it for reading, listing
// it, or lstat'ing one entry in it cannot be redirected by a rename or a symlink swapped in since the open.

import { closeSync, constants, lstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs'
import { O_CLOEXEC } from './openat2.ts'

const fdPath = (fd: number) => `/proc/self/fd/${fd}`

/**
 * A readable fd for a regular file held by an O_PATH fd. Only regular files: opening a FIFO would block the agent
 * and opening a device node can act on the device, so the caller checks fstat first and only then calls this.
 */
export function reopenForReading(pathFd: number): number {
  return openSync(fdPath(pathFd), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | O_CLOEXEC)
}

/** The entries of a directory held by an fd, each with its lstat; entries removed meanwhile are left out. */
export function listDirectory(dirFd: number): { name: string; st: Stats }[] {
  const out: { name: string; st: Stats }[] = []
  for (const name of readdirSync(fdPath(dirFd)).sort()) {
    try { out.push({ name, st: lstatSync(`${fdPath(dirFd)}/${name}`) }) } catch { /* gone since the readdir */ }
  }
  return out
}

/** Reads up to `length` bytes at `offset` (pread; short only at the end of the file). */
export function readAt(fd: number, offset: number, length: number): Uint8Array {
  const buf = new Uint8Array(length)
  let got = 0
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got)
    if (n === 0) break
    got += n
  }
  return got === length ? buf : buf.subarray(0, got)
}

const CHUNK = 64 * 1024

/**
 * The first `size` bytes of the file as a stream; it owns `fd` and closes it at the end, on error and on cancel.
 * Reads are synchronous preads of one chunk (local files, microseconds each): no read is ever still queued on the
 * thread pool when the fd is closed, so a recycled fd number is never read by mistake.
 */
export function streamFd(fd: number, size: number): ReadableStream<Uint8Array> {
  let offset = 0
  let open = true
  const close = () => { if (open) { open = false; closeSync(fd) } }
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      try {
        const chunk = readAt(fd, offset, Math.min(CHUNK, size - offset))
        offset += chunk.length
        if (chunk.length) controller.enqueue(chunk)
        if (offset >= size) { close(); controller.close() } else if (!chunk.length) {
          close()
          controller.error(new Error(`the file shrank to ${offset} of the ${size} bytes announced`))
        }
      } catch (err) {
        close()
        controller.error(err)
      }
    },
    cancel() { close() },
  })
}
