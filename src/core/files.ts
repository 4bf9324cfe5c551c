// The `/files/*` endpoints (browse, read, download, debug) and the LIST_FILES / READ_FILE operator calls over a
// set of attached virtual paths: agents attach sandboxes (as their host path and as
// /frameworks/<fid>/executors/<eid>/runs/latest), daemons attach their own log (/master/log, /slave/log).

import { lstatSync, openSync, readSync, closeSync, readdirSync, statSync, realpathSync } from 'node:fs'
import { join, normalize } from 'node:path'
import { badRequest, json, notFound } from './http/responses.ts'

/** Mesos caps a single read at 16 pages. */
export const MAX_READ = 16 * 4096

export interface MemoryFile { bytes(): Uint8Array; mtime(): number }

type Target = { kind: 'host'; path: string } | { kind: 'memory'; file: MemoryFile }

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

  attach(virtualPath: string, hostPath: string) { this.attached.set(clean(virtualPath), { kind: 'host', path: hostPath }) }
  attachMemory(virtualPath: string, file: MemoryFile) { this.attached.set(clean(virtualPath), { kind: 'memory', file }) }
  detach(virtualPath: string) { this.attached.delete(clean(virtualPath)) }
  paths(): string[] { return [...this.attached.keys()] }

  /** Resolves a virtual path to a host path or memory file; refuses escapes out of the attached directory. */
  private resolve(path: string): Target {
    const p = clean(path)
    let best: string | undefined
    for (const root of this.attached.keys()) {
      if ((p === root || p.startsWith(root + '/')) && (!best || root.length > best.length)) best = root
    }
    if (!best) throw new FileError(404, `No file or directory found at path '${path}'`)
    const target = this.attached.get(best)!
    if (target.kind === 'memory') {
      if (p !== best) throw new FileError(404, `No file or directory found at path '${path}'`)
      return target
    }
    const rest = p.slice(best.length)
    const host = normalize(join(target.path, rest))
    let real: string
    try { real = realpathSync(host) } catch { throw new FileError(404, `No file or directory found at path '${path}'`) }
    const rootReal = realpathSync(target.path)
    if (real !== rootReal && !real.startsWith(rootReal + '/')) throw new FileError(403, `Path '${path}' escapes its sandbox`)
    return { kind: 'host', path: real }
  }

  browse(path: string): FileInfoV1[] {
    const t = this.resolve(path)
    if (t.kind === 'memory') throw new FileError(400, `'${path}' is a file`)
    const st = statSync(t.path)
    if (!st.isDirectory()) throw new FileError(400, `'${path}' is not a directory`)
    const base = clean(path)
    return readdirSync(t.path).sort().map(name => fileInfo(join(t.path, name), `${base === '/' ? '' : base}/${name}`))
  }

  /** Reads up to `length` bytes at `offset`; offset -1 (or undefined) answers the size with no data. */
  read(path: string, offset: number | undefined, length: number | undefined): { offset: number; data: Uint8Array; size: number } {
    const t = this.resolve(path)
    if (t.kind === 'memory') {
      const bytes = t.file.bytes()
      if (offset === undefined || offset < 0) return { offset: bytes.length, data: new Uint8Array(0), size: bytes.length }
      const len = Math.min(length ?? MAX_READ, MAX_READ)
      return { offset, data: bytes.subarray(offset, offset + len), size: bytes.length }
    }
    const st = statSync(t.path)
    if (st.isDirectory()) throw new FileError(400, `Cannot read a directory: '${path}'`)
    if (offset === undefined || offset < 0) return { offset: st.size, data: new Uint8Array(0), size: st.size }
    const len = Math.max(0, Math.min(length ?? MAX_READ, MAX_READ, st.size - offset))
    const buf = new Uint8Array(len)
    if (len > 0) {
      const fd = openSync(t.path, 'r')
      try { readSync(fd, buf, 0, len, offset) } finally { closeSync(fd) }
    }
    return { offset, data: buf, size: st.size }
  }

  download(path: string): Response {
    const t = this.resolve(path)
    if (t.kind === 'memory') return new Response(t.file.bytes(), { headers: { 'Content-Type': 'application/octet-stream' } })
    if (statSync(t.path).isDirectory()) throw new FileError(400, `Cannot download a directory: '${path}'`)
    const name = t.path.split('/').pop()!
    return new Response(Bun.file(t.path), { headers: { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename=${name}` } })
  }

  stat(path: string): FileInfoV1 {
    const t = this.resolve(path)
    if (t.kind === 'memory') return { path: clean(path), size: t.file.bytes().length, mtime: { nanoseconds: Math.round(t.file.mtime() * 1e9) }, mode: 0o100644, nlink: 1 }
    return fileInfo(t.path, clean(path))
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

function fileInfo(hostPath: string, virtualPath: string): FileInfoV1 {
  const st = lstatSync(hostPath)
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
