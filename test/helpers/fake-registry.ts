// An in-process registry for client unit tests: the v2 read API over Bun.serve with knobs a real registry lacks
// (blob redirects to another origin, bodies cut short, 503s, Range support, Basic or Bearer auth with a token
// endpoint on the same server) and a log of every request with its Authorization and Range headers.

import { sha256 } from './image-fixtures.ts'

export interface FakeRequest { method: string; path: string; authorization?: string; range?: string }

export interface FakeRegistryOptions {
  auth?: { kind: 'basic' | 'bearer'; user: string; pass: string; ttl?: number }
  /** Blob GETs answer 307 to this origin (another server). */
  redirectBlobsTo?: string
  /** The first N GETs of blobs over 1 KB (layers, not configs) send only half of the Content-Length they announce. */
  cutBlobs?: number
  /** The first N requests answer 503. */
  unavailable?: number
  /** Ignore Range (always 200 with the whole blob). */
  noRange?: boolean
}

export class FakeRegistry {
  readonly requests: FakeRequest[] = []
  readonly blobs = new Map<string, Uint8Array>()
  readonly manifests = new Map<string, { body: string; mediaType: string }>()
  tokensIssued = 0
  private server: ReturnType<typeof Bun.serve>
  private cuts: number
  private unavailable: number

  constructor(private readonly o: FakeRegistryOptions = {}) {
    this.cuts = o.cutBlobs ?? 0
    this.unavailable = o.unavailable ?? 0
    this.server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: req => this.handle(req) })
  }

  get url() { return `http://127.0.0.1:${this.server.port}` }
  get host() { return `127.0.0.1:${this.server.port}` }
  stop() { this.server.stop(true) }

  addBlob(data: string | Uint8Array): string {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    const d = sha256(bytes)
    this.blobs.set(d, bytes)
    return d
  }

  addManifest(repo: string, ref: string, body: string, mediaType: string) {
    this.manifests.set(`${repo}:${ref}`, { body, mediaType })
    this.manifests.set(`${repo}:${sha256(body)}`, { body, mediaType })
  }

  private handle(req: Request): Response {
    const u = new URL(req.url)
    this.requests.push({ method: req.method, path: u.pathname + u.search, authorization: req.headers.get('authorization') ?? undefined, range: req.headers.get('range') ?? undefined })
    if (this.unavailable > 0) { this.unavailable--; return new Response('busy', { status: 503 }) }
    if (u.pathname === '/token') return this.token(req, u)
    const denied = this.checkAuth(req, u)
    if (denied) return denied
    if (u.pathname === '/v2/') return Response.json({})
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(u.pathname)
    if (!m) return new Response('{"errors":[{"code":"NOT_FOUND"}]}', { status: 404 })
    const [, repo, kind, ref] = m
    if (kind === 'manifests') {
      const man = this.manifests.get(`${repo}:${ref}`)
      if (!man) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', { status: 404 })
      return new Response(man.body, { headers: { 'Content-Type': man.mediaType, 'Docker-Content-Digest': sha256(man.body) } })
    }
    const blob = this.blobs.get(ref!)
    if (!blob) return new Response('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}', { status: 404 })
    if (this.o.redirectBlobsTo && !u.searchParams.has('redirected')) {
      return new Response(null, { status: 307, headers: { Location: `${this.o.redirectBlobsTo}${u.pathname}?redirected=1` } })
    }
    return this.blob(req, blob)
  }

  /** Serves a blob (also used by a second FakeRegistry acting as the redirect target's storage). */
  blob(req: Request, blob: Uint8Array): Response {
    const range = /^bytes=(\d+)-$/.exec(req.headers.get('range') ?? '')
    const start = range && !this.o.noRange ? Number(range[1]) : 0
    const body = blob.subarray(start)
    const status = start ? 206 : 200
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) }
    if (start) headers['Content-Range'] = `bytes ${start}-${blob.length - 1}/${blob.length}`
    if (this.cuts > 0 && blob.length > 1024) {
      this.cuts--
      const half = body.subarray(0, Math.floor(body.length / 2))
      const stream = new ReadableStream<Uint8Array>({
        async pull(c) { c.enqueue(half); await Bun.sleep(20); c.close() },
      })
      return new Response(stream, { status, headers })
    }
    return new Response(body, { status, headers })
  }

  private checkAuth(req: Request, u: URL): Response | undefined {
    const a = this.o.auth
    if (!a) return undefined
    const h = req.headers.get('authorization') ?? ''
    if (a.kind === 'basic') {
      if (h === `Basic ${Buffer.from(`${a.user}:${a.pass}`).toString('base64')}`) return undefined
      return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="fake"' } })
    }
    if (h.startsWith('Bearer ') && this.validTokens.has(h.slice(7))) return undefined
    const repo = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(u.pathname)?.[1]
    const scope = repo ? `,scope="repository:${repo}:pull"` : ''
    return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', { status: 401, headers: { 'WWW-Authenticate': `Bearer realm="${this.url}/token",service="fake"${scope}` } })
  }

  readonly validTokens = new Set<string>()

  private token(req: Request, u: URL): Response {
    const a = this.o.auth!
    const h = req.headers.get('authorization')
    if (h && h !== `Basic ${Buffer.from(`${a.user}:${a.pass}`).toString('base64')}`) return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}', { status: 401 })
    if (!h || u.searchParams.get('service') !== 'fake') return Response.json({ token: 'anonymous-no-access' })
    const token = `t${++this.tokensIssued}`
    this.validTokens.add(token)
    // Only `access_token` (OAuth2 style), to check clients accept it.
    return Response.json({ access_token: token, expires_in: a.ttl ?? 300 })
  }
}
