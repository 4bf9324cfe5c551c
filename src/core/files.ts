// The `/files/*` endpoints (browse, read, download, debug) and the LIST_FILES / READ_FILE operator calls over a
// set of attached virtual paths: agents attach sandboxes (as their host path and as
// /frameworks/<fid>/executors/<eid>/runs/latest), daemons attach their own log (/master/log, /slave/log).
//
// Sandboxes are written by tasks, so a path in one is opened beneath the attached directory with no symlink followed
// at any component (src/core/fs/beneath.ts), and everything after that — type checks, sizes, reads, listings —
// goes through the opened fd, never the path again: docs/security-files.md. Upstream's FilesProcess::resolve
// (src/files/files.cpp) realpath()s and then opens by path, which a task can race with a symlink swap.

import { closeSync, fstatSync, openSync, type Stats } from 'node:fs'
import { basename, normalize } from 'node:path'
import { BeneathError, defaultVia, openBeneath, type ResolveVia } from './fs/beneath.ts'
import { listDirectory, readAt, reopenForReading, streamFd } from './fs/fd-io.ts'
import { O_CLOEXEC, O_PATH } from './fs/openat2.ts'
import { badRequest, json, notFound } from './http/responses.ts'

/** Mesos caps a single read at 16 pages. */
export const MAX_READ = 16 * 4096

/** Downloads up to this size are read whole (with Content-Length); larger ones are streamed through the fd. */
const DOWNLOAD_IN_MEMORY = 8 * 1024 * 1024

export interface MemoryFile { bytes(): Uint8Array; mtime(): number }

type Target = { kind: 'host'; path: string } | { kind: 'memory'; file: MemoryFile }

/** An attached path opened for one request: a memory file, or an O_PATH fd the request must close. */
type Opened = { kind: 'memory'; file: MemoryFile } | { kind: 'host'; fd: number; st: Stats; name: string }

export interface FileInfoV1 {
  path: string
  nlink?: number
  size?: number
  mtime?: { nanoseconds: number }
  mode?: number
  uid?: string
  gid?: string
}

export class FileError extends Error {
  constructor(readonly status: 400 | 403 | 404, message: string) { super(message) }
}

export class FileServer {
  private attached = new Map<string, Target>()
  private readonly via: ResolveVia

  /** `via` forces a resolver (tests); by default openat2 where the kernel has it. */
  constructor(o: { via?: ResolveVia } = {}) { this.via = o.via ?? defaultVia() }

  attach(virtualPath: string, hostPath: string) { this.attached.set(clean(virtualPath), { kind: 'host', path: hostPath }) }
  attachMemory(virtualPath: string, file: MemoryFile) { this.attached.set(clean(virtualPath), { kind: 'memory', file }) }
  detach(virtualPath: string) { this.attached.delete(clean(virtualPath)) }
  paths(): string[] { return [...this.attached.keys()] }

  /**
   * Opens a virtual path: the longest attached prefix, then the rest beneath it (no symlinks, no escape). The
   * attached directory itself is the agent's own path and is opened as configured.
   */
  private open(path: string): Opened {
    const p = clean(path)
    let best: string | undefined
    for (const root of this.attached.keys()) {
      if ((p === root || p.startsWith(root + '/')) && (!best || root.length > best.length)) best = root
    }
    const missing = () => new FileError(404, `No file or directory found at path '${path}'`)
    if (!best) throw missing()
    const target = this.attached.get(best)!
    if (target.kind === 'memory') {
      if (p !== best) throw missing()
      return target
    }
    const rest = p.slice(best.length).replace(/^\/+/, '')
    let rootFd: number
    try { rootFd = openSync(target.path, O_PATH | O_CLOEXEC) } catch { throw missing() }
    if (!rest) {
      try { return { kind: 'host', fd: rootFd, st: fstatSync(rootFd), name: basename(target.path) } } catch (err) { closeSync(rootFd); throw err }
    }
    let fd: number
    try {
      // An attached file has no entries; Mesos answers Not Found there too.
      if (!fstatSync(rootFd).isDirectory()) throw missing()
      fd = openBeneath(rootFd, rest, this.via)
    } catch (err) {
      if (!(err instanceof BeneathError)) throw err
      if (err.reason === 'missing') throw missing()
      throw new FileError(403, err.reason === 'denied' ? `Access to path '${path}' is denied` : `Path '${path}' escapes its sandbox (symbolic links are not followed)`)
    } finally {
      closeSync(rootFd)
    }
    try { return { kind: 'host', fd, st: fstatSync(fd), name: basename(rest) } } catch (err) { closeSync(fd); throw err }
  }

  /** Runs `fn` on the opened path and closes what was opened. */
  private with<T>(path: string, fn: (t: Opened) => T): T {
    const t = this.open(path)
    try { return fn(t) } finally { if (t.kind === 'host') closeSync(t.fd) }
  }

  browse(path: string): FileInfoV1[] {
    return this.with(path, t => {
      // A file lists as nothing, 200 (upstream FilesProcess::browse: os::ls fails on it and the listing stays empty).
      if (t.kind === 'memory' || !t.st.isDirectory()) return []
      const base = clean(path)
      return listDirectory(t.fd).map(e => fileInfo(e.st, `${base === '/' ? '' : base}/${e.name}`))
    })
  }

  /** Reads up to `length` bytes at `offset`; offset -1 (or undefined) answers the size with no data. */
  read(path: string, offset: number | undefined, length: number | undefined): { offset: number; data: Uint8Array; size: number } {
    return this.with(path, t => {
      if (t.kind === 'memory') {
        const bytes = t.file.bytes()
        if (offset === undefined || offset < 0) return { offset: bytes.length, data: new Uint8Array(0), size: bytes.length }
        const len = Math.min(length ?? MAX_READ, MAX_READ)
        return { offset, data: bytes.subarray(offset, offset + len), size: bytes.length }
      }
      if (t.st.isDirectory()) throw new FileError(400, `Cannot read a directory: '${path}'`)
      regularFile(t.st, path)
      const size = t.st.size
      if (offset === undefined || offset < 0) return { offset: size, data: new Uint8Array(0), size }
      const len = Math.max(0, Math.min(length ?? MAX_READ, MAX_READ, size - offset))
      if (len === 0) return { offset, data: new Uint8Array(0), size }
      const fd = reopenForReading(t.fd)
      try {
        // Exactly `len` bytes as the old path-based read answered: zeros past an end the file shrank to meanwhile.
        const data = new Uint8Array(len)
        data.set(readAt(fd, offset, len))
        return { offset, data, size }
      } finally {
        closeSync(fd)
      }
    })
  }

  download(path: string): Response {
    return this.with(path, t => {
      if (t.kind === 'memory') return new Response(t.file.bytes(), { headers: { 'Content-Type': 'application/octet-stream' } })
      if (t.st.isDirectory()) throw new FileError(400, `Cannot download a directory: '${path}'`)
      regularFile(t.st, path)
      const headers = { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename=${t.name}` }
      const fd = reopenForReading(t.fd)
      if (t.st.size > DOWNLOAD_IN_MEMORY) {
        // The stream owns `fd` and closes it when done or cancelled. Bun sends a stream chunked, whatever
        // Content-Length says; only files this large lose the length header.
        return new Response(streamFd(fd, t.st.size), { headers })
      }
      // In memory, so the answer carries Content-Length as the path-based Bun.file answer did (Bun.file(fd) would
      // too, but never closes the fd and says nothing once it has sent it).
      try { return new Response(readAt(fd, 0, t.st.size), { headers }) } finally { closeSync(fd) }
    })
  }

  stat(path: string): FileInfoV1 {
    return this.with(path, t => {
      if (t.kind === 'memory') return { path: clean(path), size: t.file.bytes().length, mtime: { nanoseconds: Math.round(t.file.mtime() * 1e9) }, mode: 0o100644, nlink: 1 }
      return fileInfo(t.st, clean(path))
    })
  }

  /** HTTP handler for /files/{browse,read,download,debug} (and their legacy .json aliases). */
  handle(req: Request, url: URL): Response {
    const op = url.pathname.replace(/^\/files\//, '').replace(/\.json$/, '').replace(/\/+$/, '')
    const q = url.searchParams
    const path = q.get('path')
    try {
      if (op === 'debug') return json(Object.fromEntries([...this.attached].map(([k, v]) => [k, v.kind === 'host' ? v.path : '(memory)'])), req)
      if (!path) return badRequest("Expecting 'path' in query")
      if (op === 'browse') return json(this.browse(path).map(v0FileInfo), req)
      if (op === 'download') return this.download(path)
      if (op === 'read') {
        const offset = q.has('offset') ? Number(q.get('offset')) : -1
        const length = q.has('length') ? Number(q.get('length')) : undefined
        if (!Number.isInteger(offset) || (length !== undefined && !(Number.isInteger(length) && length >= 0))) {
          return badRequest("Failed to parse 'offset' or 'length' query parameters")
        }
        const r = this.read(path, offset, length)
        // Never split a UTF-8 character across reads: clients advance by the byte length of `data`.
        const data = offset < 0 ? '' : new TextDecoder().decode(r.data.subarray(0, utf8Boundary(r.data)))
        return json({ offset: r.offset, data }, req)
      }
      return notFound()
    } catch (err) {
      if (err instanceof FileError) return new Response(err.message, { status: err.status })
      throw err
    }
  }
}

/** Length of the longest prefix that does not end inside a UTF-8 sequence. */
export function utf8Boundary(b: Uint8Array): number {
  let i = b.length
  for (let back = 1; back <= 3 && i - back >= 0; back++) {
    const c = b[i - back]!
    if ((c & 0xc0) === 0x80) continue // continuation byte
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1
    return need > back ? i - back : i
  }
  return i
}

function clean(p: string): string {
  const n = normalize('/' + p).replace(/\/+$/, '')
  return n || '/'
}

/** Regular files only: a FIFO would block the agent, and a device node (a container root can mknod in its sandbox) is the host's device. */
function regularFile(st: Stats, path: string) {
  if (!st.isFile()) throw new FileError(403, `'${path}' is not a regular file`)
}

function fileInfo(st: Stats, virtualPath: string): FileInfoV1 {
  return {
    path: virtualPath,
    nlink: st.nlink,
    size: st.size,
    mtime: { nanoseconds: Math.round(st.mtimeMs * 1e6) },
    mode: st.mode,
    uid: String(st.uid),
    gid: String(st.gid),
  }
}

/** v0 `/files/browse` entry: mtime in seconds, mode as `drwxr-xr-x`. */
function v0FileInfo(f: FileInfoV1) {
  return { path: f.path, nlink: f.nlink, size: f.size, mtime: (f.mtime?.nanoseconds ?? 0) / 1e9, mode: modeString(f.mode ?? 0), uid: f.uid, gid: f.gid }
}

export function modeString(mode: number): string {
  const type = (mode & 0o170000) === 0o040000 ? 'd' : (mode & 0o170000) === 0o120000 ? 'l' : '-'
  const rwx = (bits: number) => `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`
  return type + rwx((mode >> 6) & 7) + rwx((mode >> 3) & 7) + rwx(mode & 7)
}

/** An in-memory tail of a daemon's log, capped, served as /master/log or /slave/log. */
export class LogBuffer implements MemoryFile {
  private chunks: Uint8Array[] = []
  private size = 0
  private updated = Date.now() / 1000
  constructor(private readonly cap = 1 << 20) {}
  append(line: string) {
    const b = new TextEncoder().encode(line)
    this.chunks.push(b)
    this.size += b.length
    while (this.size > this.cap && this.chunks.length > 1) this.size -= this.chunks.shift()!.length
    this.updated = Date.now() / 1000
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size)
    let o = 0
    for (const c of this.chunks) { out.set(c, o); o += c.length }
    return out
  }
  mtime() { return this.updated }
}
