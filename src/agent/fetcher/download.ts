// Reading a URI's bytes: http(s) with Bun's fetch (redirects followed here, so that credentials from the URI never
// go to another origin; certificates verified; `Accept-Encoding: identity` so the bytes are the file's, as curl
// sends them for Mesos), or a local file (read as the task's user when the agent switches users, so a task can
// fetch only what its user may read, as upstream's fetcher runs under os::su). Every network request is bounded by
// --fetcher_stall_timeout: no answer, or no body bytes, for that long aborts it (Mesos hands the flag to curl as
// its low-speed limit). A caller's signal (the task was killed) aborts at once.

import type { TLSOptions } from 'bun'
import { open, stat } from 'node:fs/promises'
import { formatDuration } from '../../core/duration.ts'
import { StallTimer } from '../../core/registry/stall.ts'
import type { UriSource } from './uri-plan.ts'

const MAX_REDIRECTS = 10

export interface ReadOptions {
  stallTimeoutMs: number
  signal?: AbortSignal
  /** For https: CAs to verify with (undefined: the TLS library's roots). */
  tls?: TLSOptions
  /** argv prefix that runs a program as the task's user (setpriv …), for local files; empty: read as the agent. */
  readAsPrefix?: string[]
}

/** How many bytes the URI has (Content-Length of a HEAD, or the file's size); throws when it cannot be known. */
export async function sourceSize(source: UriSource, o: ReadOptions): Promise<number> {
  if (source.kind === 'local') {
    const st = await stat(source.path).catch(err => { throw new Error(`Could not determine file size for: '${source.path}', error: ${(err as Error).message}`) })
    return st.size
  }
  const stall = stallTimer(o)
  try {
    const res = await request(source.url, 'HEAD', o, stall)
    await res.body?.cancel().catch(() => {})
    if (res.status !== 200) throw new Error(`HEAD received HTTP return code ${res.status}`)
    const length = Number(res.headers.get('content-length') ?? NaN)
    if (!Number.isSafeInteger(length) || length < 0) throw new Error(`no Content-Length in the answer to HEAD ${redactedUrl(source.url)}`)
    if (length === 0) throw new Error(`URI reported content-length 0: ${redactedUrl(source.url)}`)
    return length
  } finally {
    stall.done()
  }
}

/**
 * Writes the URI's bytes to `dest`, which must not exist (created exclusively, never through a symlink). Stops with
 * an error past `maxBytes`. Returns the number of bytes written.
 */
export async function download(source: UriSource, dest: string, o: ReadOptions & { maxBytes?: number }): Promise<number> {
  const file = await open(dest, 'wx', 0o644)
  try {
    if (source.kind === 'local') return await copyLocal(source.path, file, o)
    const stall = stallTimer(o)
    try {
      const res = await request(source.url, 'GET', o, stall).catch(err => { throw new Error(`Error downloading resource: ${reasonOf(err, stall)}`) })
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => {})
        throw new Error(`Error downloading resource, received HTTP return code ${res.status}`)
      }
      const announced = Number(res.headers.get('content-length') ?? NaN)
      const limit = o.maxBytes
      if (limit !== undefined && Number.isSafeInteger(announced) && announced > limit) {
        await res.body?.cancel().catch(() => {})
        throw new Error(`Error downloading resource: ${announced} bytes announced, more than the ${limit} expected`)
      }
      stall.poke('body')
      let bytes = 0
      try {
        for await (const chunk of chunksOf(res.body)) {
          stall.poke('body')
          bytes += chunk.byteLength
          if (limit !== undefined && bytes > limit) throw new Error(`more than the ${limit} bytes expected`)
          await file.write(chunk)
        }
      } catch (err) {
        throw new Error(`Error downloading resource: ${reasonOf(err, stall)}`)
      }
      if (Number.isSafeInteger(announced) && bytes !== announced) throw new Error(`Error downloading resource: got ${bytes} of ${announced} bytes`)
      return bytes
    } finally {
      stall.done()
    }
  } finally {
    await file.close()
  }
}

function stallTimer(o: ReadOptions): StallTimer {
  return new StallTimer(o.stallTimeoutMs, phase => new Error(phase === 'answer'
    ? `no answer within ${formatDuration(o.stallTimeoutMs)} (--fetcher_stall_timeout)`
    : `no data received for ${formatDuration(o.stallTimeoutMs)} (--fetcher_stall_timeout)`), o.signal)
}

/** The stall timer's or the caller's reason when one of them aborted the request, else the error's own words. */
function reasonOf(err: unknown, stall: StallTimer): string {
  const reason = stall.signal.aborted ? stall.signal.reason : err
  const e = reason instanceof Error ? reason : new Error(String(reason))
  const code = (e as { code?: string }).code
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message
}

const redactedUrl = (url: string) => url.replace(/^(https?:\/\/)[^/?#@]*@/i, '$1REDACTED@')

/** A request, following up to 10 redirects; user information becomes Basic auth, sent only to the URI's own origin. */
async function request(url: string, method: 'GET' | 'HEAD', o: ReadOptions, stall: StallTimer): Promise<Response> {
  let target = new URL(url)
  const origin = target.origin
  const credentials = target.username || target.password
    ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}` : undefined
  for (let hop = 0; ; hop++) {
    target.username = ''
    target.password = ''
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity', 'User-Agent': 'meso-fetcher' }
    if (credentials && target.origin === origin) headers.Authorization = credentials
    const res = await fetch(target, { method, headers, redirect: 'manual', signal: stall.signal, ...(o.tls && target.protocol === 'https:' ? { tls: o.tls } : {}) })
    stall.poke('answer')
    const location = res.headers.get('location')
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res
    await res.body?.cancel().catch(() => {})
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`)
    const next = new URL(location, target)
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`redirected to a ${next.protocol.replace(':', '')} URL, which is not fetched`)
    target = next
  }
}

async function copyLocal(path: string, file: import('node:fs/promises').FileHandle, o: ReadOptions): Promise<number> {
  const st = await stat(path).catch(err => { throw new Error(`Failed to read '${path}': ${(err as Error).message}`) })
  if (!st.isFile()) throw new Error(`Failed to read '${path}': not a regular file`)
  const prefix = o.readAsPrefix ?? []
  if (!prefix.length) {
    let bytes = 0
    for await (const chunk of chunksOf(Bun.file(path).stream())) {
      o.signal?.throwIfAborted()
      bytes += chunk.byteLength
      await file.write(chunk)
    }
    return bytes
  }
  // As the task's user: its permissions decide what it may copy, as with upstream's fetcher under os::su.
  const proc = Bun.spawn([...prefix, 'cat', '--', path], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const onAbort = () => proc.kill('SIGKILL')
  o.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    let bytes = 0
    for await (const chunk of chunksOf(proc.stdout)) {
      bytes += chunk.byteLength
      await file.write(chunk)
    }
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
    o.signal?.throwIfAborted()
    if (code !== 0) throw new Error(`Failed to read '${path}' as the task's user: ${stderr.trim().replace(/^cat: /, '') || `exit status ${code}`}`)
    return bytes
  } finally {
    o.signal?.removeEventListener('abort', onAbort)
  }
}

async function* chunksOf(stream: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!stream) return
  const reader = stream.getReader()
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) { finished = true; return }
      yield value
    }
  } finally {
    // Left early (a limit, an abort): the rest of the body is not wanted, and its connection is let go.
    if (!finished) await reader.cancel().catch(() => {})
  }
}
