// A Docker Registry HTTP API v2 client for pulls: the /v2/ probe, manifests (all four Accept types, digest checked on
// the raw bytes), and blobs streamed to disk with sha256 verification, resumed with Range after transient failures.
//
// Transport: Bun's built-in fetch, not `undici/index.js`. Under Bun the real undici runs on Bun's node:net/tls
// emulation, while fetch is native (its own connection pool and TLS), streams response bodies as ReadableStreams we
// read chunk by chunk (the file write is awaited, so a slow disk slows the socket), and supports `redirect: "manual"`,
// which we need to follow redirects ourselves and drop Authorization when a blob redirect leaves the registry
// (pre-signed S3/GCS URLs reject or leak it). Nothing undici adds (pool tuning, interceptors) is needed here.
//
// Every request is bounded by the stall timeout (no answer, or no body bytes, for that long: stall.ts) and follows
// the caller's signal, so a registry that accepts connections and never answers cannot hang a pull, and a killed
// task's pull stops at once (docs/security-files.md).

import { open } from 'node:fs/promises'
import { formatDuration } from '../duration.ts'
import { RegistryAuth, TokenCache } from './registry-auth.ts'
import type { RegistryCredentials } from './docker-config.ts'
import { MANIFEST_ACCEPT, parseManifest, type Descriptor, type Manifest } from './manifest.ts'
import { describeErrorBody, hintFor, RegistryError, statusText, transientStatus, transportCause } from './registry-error.ts'
import { raceSignal, SharedWork, sleep, StallTimer, type StallPhase } from './stall.ts'

export interface RegistryClientOptions {
  /** Canonical registry host[:port], used in messages and for credentials. */
  registry: string
  /** `https://host[:port]` (or http:// for an insecure registry). */
  baseUrl: string
  credentials?: RegistryCredentials
  tokens?: TokenCache
  /** Attempts for transient failures (connection refused/reset, 5xx, 429, stalled bodies). */
  attempts?: number
  backoffMs?: number
  /**
   * A request with no answer for this long (connecting included) fails; a body that delivers nothing for this long
   * is aborted and resumed. The agent's --fetcher_stall_timeout (Mesos' name; 1 minute by default).
   */
  stallTimeoutMs?: number
  fetch?: typeof fetch
}

/** The answer to a request, with the stall timer its body is read under (the reader calls `done()`). */
interface Sent { res: Response; stall: StallTimer }

export interface FetchedManifest { digest: string; mediaType: string; body: string; manifest: Manifest }

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024
const MAX_REDIRECTS = 5

export function sha256Hex(data: string | Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(data).digest('hex')
}

export class RegistryClient {
  readonly registry: string
  private readonly auth: RegistryAuth
  private readonly attempts: number
  private readonly backoffMs: number
  private readonly stallTimeoutMs: number
  private readonly fetchImpl: typeof fetch
  private probing?: SharedWork<void>

  constructor(private readonly o: RegistryClientOptions) {
    this.registry = o.registry
    this.fetchImpl = o.fetch ?? fetch
    this.stallTimeoutMs = o.stallTimeoutMs ?? 60_000
    this.auth = new RegistryAuth(o.registry, o.credentials, o.tokens ?? new TokenCache(), this.fetchImpl, this.stallTimeoutMs)
    this.attempts = o.attempts ?? 4
    this.backoffMs = o.backoffMs ?? 250
  }

  /**
   * GET /v2/: is this a v2 registry, and which auth does it want (learnt here so the next request is authorized).
   * Concurrent pulls share one probe; it is abandoned only when all of them are.
   */
  probe(signal?: AbortSignal): Promise<void> {
    if (!this.probing) {
      const work = new SharedWork(s => this.doProbe(s))
      this.probing = work
      work.promise.catch(() => { if (this.probing === work) this.probing = undefined })
    }
    return this.probing.join(signal)
  }

  private async doProbe(signal: AbortSignal) {
    const { res, stall } = await this.send('GET', '/v2/', { scope: '', allow: [401], signal })
    try { await res.body?.cancel() } finally { stall.done() }
    if (res.status === 401) {
      // Learn the challenge; a Bearer realm is used for the real requests, Basic is retried there.
      this.auth.onUnauthorized(res.headers.get('www-authenticate'), '', undefined)
    }
  }

  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    await this.probe(signal)
    const path = `/v2/${repository}/manifests/${reference}`
    const sent = await this.send('GET', path, { scope: pullScope(repository), headers: { Accept: MANIFEST_ACCEPT }, signal })
    const bytes = await this.readLimited(sent, MAX_MANIFEST_BYTES, path, signal)
    const { res } = sent
    const digest = `sha256:${sha256Hex(bytes)}`
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new RegistryError(`registry ${this.registry} sent a manifest for ${repository}@${reference} whose digest is ${digest}: digest mismatch`, this.registry)
    }
    const claimed = res.headers.get('docker-content-digest')
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new RegistryError(`registry ${this.registry} sent a manifest for ${repository}:${reference} whose digest ${digest} differs from its Docker-Content-Digest ${claimed}: digest mismatch`, this.registry)
    }
    const body = new TextDecoder().decode(bytes)
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim()
    return { digest, mediaType, body, manifest: parseManifest(body, mediaType) }
  }

  /** A small blob (the image config) as text, verified. */
  async getBlobText(repository: string, d: Descriptor, signal?: AbortSignal): Promise<string> {
    await this.probe(signal)
    const path = `/v2/${repository}/blobs/${d.digest}`
    for (let attempt = 1; ; attempt++) {
      const sent = await this.send('GET', path, { scope: pullScope(repository), signal })
      const bytes = await this.readLimited(sent, MAX_MANIFEST_BYTES, path, signal)
      if (d.size !== undefined && bytes.length < d.size && attempt < this.attempts) {
        // Cut short on the way: fetch it again (it is small).
        await sleep(this.backoff(attempt), signal)
        continue
      }
      const got = `sha256:${sha256Hex(bytes)}`
      if (got !== d.digest) throw this.mismatch(repository, d.digest, got)
      return new TextDecoder().decode(bytes)
    }
  }

  /**
   * Streams a blob into `dest` (created or truncated), hashing as it goes; after a transient failure it resumes
   * with `Range: bytes=N-` (or starts over when the server ignores Range). Throws on a digest or size mismatch.
   */
  async downloadBlob(repository: string, d: Descriptor, dest: string, onProgress?: (bytes: number) => void, signal?: AbortSignal): Promise<number> {
    await this.probe(signal)
    const path = `/v2/${repository}/blobs/${d.digest}`
    const fh = await open(dest, 'w')
    let hasher = new Bun.CryptoHasher('sha256')
    let written = 0
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const { res, stall } = await this.send('GET', path, { scope: pullScope(repository), range: written || undefined, signal })
          try {
            if (written && res.status !== 206) {
              // The server (or the storage it redirected to) ignored Range: start over.
              hasher = new Bun.CryptoHasher('sha256')
              written = 0
              await fh.truncate(0)
            }
            for await (const chunk of this.body(res, stall)) {
              hasher.update(chunk)
              await fh.write(chunk, 0, chunk.length, written)
              written += chunk.length
              if (d.size !== undefined && written > d.size) throw new RegistryError(`registry ${this.registry} sent more than the ${d.size} bytes of ${d.digest}`, this.registry)
              onProgress?.(written)
            }
          } finally {
            stall.done()
          }
          if (d.size !== undefined && written < d.size) {
            throw new RegistryError(`registry ${this.registry} ended ${d.digest} after ${written} of ${d.size} bytes`, this.registry, undefined, undefined, true)
          }
          break
        } catch (err) {
          if (signal?.aborted) throw signal.reason
          const e = this.asRegistryError(err, `GET ${path}`)
          if (!e.transient || attempt >= this.attempts) throw e
          await sleep(this.backoff(attempt), signal)
        }
      }
    } finally {
      await fh.close()
    }
    const got = `sha256:${hasher.digest('hex')}`
    if (got !== d.digest) throw this.mismatch(repository, d.digest, got)
    return written
  }

  /** The response body chunk by chunk, each chunk resetting the stall clock. */
  private async *body(res: Response, stall: StallTimer): AsyncGenerator<Uint8Array> {
    if (!res.body) return
    const reader = res.body.getReader()
    try {
      for (;;) {
        const chunk = await reader.read()
        if (chunk.done) return
        stall.poke('body')
        yield chunk.value
      }
    } finally {
      await reader.cancel().catch(() => {})
      reader.releaseLock()
    }
  }

  /** What a stall is called in a message: which registry, which request, how long. */
  private stalled(method: string, path: string, phase: StallPhase): RegistryError {
    const within = `${formatDuration(this.stallTimeoutMs)} (--fetcher_stall_timeout)`
    return phase === 'answer'
      ? new RegistryError(`registry ${this.registry} did not answer ${method} ${path} within ${within}`, this.registry, undefined, undefined, false)
      : new RegistryError(`registry ${this.registry} stalled sending ${method} ${path}: nothing for ${within}`, this.registry, undefined, undefined, true)
  }

  private mismatch(repository: string, want: string, got: string): RegistryError {
    return new RegistryError(`blob ${want} of ${repository} from registry ${this.registry} failed verification: digest mismatch (the bytes received hash to ${got})`, this.registry)
  }

  private backoff(attempt: number): number {
    return Math.min(5000, this.backoffMs * 2 ** (attempt - 1))
  }

  private asRegistryError(err: unknown, what: string): RegistryError {
    if (err instanceof RegistryError) return err
    const reason = (err as any)?.cause ?? (err as any)?.reason
    if (reason instanceof RegistryError) return reason
    const cause = transportCause(err)
    return new RegistryError(`cannot reach registry ${this.registry} (${what} on ${this.o.baseUrl}): ${cause.text}`, this.registry, undefined, undefined, cause.transient)
  }

  /** The whole body, refusing more than `limit` bytes (counted as it arrives, whatever Content-Length says). */
  private async readLimited(sent: Sent, limit: number, path: string, signal?: AbortSignal): Promise<Uint8Array> {
    const { res, stall } = sent
    try {
      const len = Number(res.headers.get('content-length') ?? 0)
      if (len > limit) throw new RegistryError(`registry ${this.registry} sent ${len} bytes for ${path}, more than the ${limit} allowed`, this.registry)
      const parts: Uint8Array[] = []
      let total = 0
      for await (const chunk of this.body(res, stall)) {
        total += chunk.length
        if (total > limit) throw new RegistryError(`registry ${this.registry} sent more than ${limit} bytes for ${path}`, this.registry)
        parts.push(chunk)
      }
      return Buffer.concat(parts)
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      throw this.asRegistryError(err, `GET ${path}`)
    } finally {
      stall.done()
    }
  }

  /**
   * One logical request: authorization (Basic, or a Bearer token per scope, refreshed on 401), redirects followed by
   * hand (Authorization only ever goes to the registry's own origin), and retries with backoff for transient failures.
   * Returns the 2xx response (or one whose status is in `allow`) with its body unread, and the stall timer the body
   * must be read under (the caller calls its `done()`). Each hop is bounded by the stall timeout and `signal`.
   */
  private async send(method: string, path: string, o: { scope: string; headers?: Record<string, string>; range?: number; signal?: AbortSignal; allow?: number[] }): Promise<Sent> {
    const origin = new URL(this.o.baseUrl).origin
    let authRetries = 0
    for (let attempt = 1; ; attempt++) {
      let sent: string | undefined
      let stall: StallTimer | undefined
      let handedOver = false
      try {
        sent = o.scope || this.auth.hasCredentials ? await raceSignal(this.auth.authorization(o.scope), o.signal) : undefined
        let url = new URL(path, this.o.baseUrl)
        let res: Response | undefined
        for (let hop = 0; ; hop++) {
          const headers: Record<string, string> = { 'Accept-Encoding': 'identity', 'User-Agent': 'meso', ...o.headers }
          if (o.range) headers.Range = `bytes=${o.range}-`
          if (sent && url.origin === origin) headers.Authorization = sent
          stall?.done()
          const timer = new StallTimer(this.stallTimeoutMs, phase => this.stalled(method, path, phase), o.signal)
          stall = timer
          res = await this.fetchImpl(url, { method, headers, redirect: 'manual', signal: timer.signal })
          timer.poke('body')
          const location = res.headers.get('location')
          if (res.status >= 300 && res.status < 400 && location) {
            await res.body?.cancel()
            if (hop >= MAX_REDIRECTS) throw new RegistryError(`registry ${this.registry}: too many redirects for ${method} ${path}`, this.registry)
            url = new URL(location, url)
            continue
          }
          break
        }
        if (res.ok || o.allow?.includes(res.status)) { handedOver = true; return { res, stall: stall! } }
        if (res.status === 401 && url.origin === origin && authRetries < 2) {
          const verdict = this.auth.onUnauthorized(res.headers.get('www-authenticate'), o.scope, sent)
          if (verdict.retry) {
            await res.body?.cancel()
            authRetries++
            attempt--
            continue
          }
          throw await this.statusError(res, method, path, verdict.reason)
        }
        if (transientStatus(res.status) && attempt < this.attempts) {
          const after = Number(res.headers.get('retry-after'))
          await res.body?.cancel()
          await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : this.backoff(attempt), o.signal)
          continue
        }
        throw await this.statusError(res, method, path)
      } catch (err) {
        if (o.signal?.aborted) throw o.signal.reason
        const e = this.asRegistryError(err, `${method} ${path}`)
        if (!e.transient || attempt >= this.attempts) throw e
        await sleep(this.backoff(attempt), o.signal)
      } finally {
        if (!handedOver) stall?.done()
      }
    }
  }

  private async statusError(res: Response, method: string, path: string, authReason?: string): Promise<RegistryError> {
    const detail = describeErrorBody(await res.text().catch(() => ''))
    const parts = [detail, authReason].filter(Boolean).join('; ')
    let code: string | undefined
    const m = /^([A-Z_]+):/.exec(detail)
    if (m) code = m[1]
    return new RegistryError(`registry ${this.registry} answered ${statusText(res.status)} to ${method} ${path}${parts ? ` (${parts})` : ''}${hintFor(res.status)}`, this.registry, res.status, code, false)
  }
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`
}
