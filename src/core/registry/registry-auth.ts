// Registry authentication as Mesos 1.2+ does it (MESOS-6758): Basic credentials go with every request; a 401
// carrying `Bearer realm=…,service=…,scope=…` makes us fetch a token from the realm (with the Basic credentials
// when we have them, anonymously otherwise), cache it per scope until it expires, and retry. Tokens and
// credentials stay inside this module: never logged, never put in an error message.

import { parseChallenges, type Challenge } from './auth-challenge.ts'
import type { RegistryCredentials } from './docker-config.ts'
import { describeErrorBody, RegistryError, statusText, transportCause } from './registry-error.ts'

/** Tokens per scope with their expiry; a token is dropped a little before the registry would reject it. */
export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expires: number }>()
  constructor(private readonly now: () => number = Date.now, private readonly leewayMs = 10_000) {}

  get(scope: string): string | undefined {
    const t = this.tokens.get(scope)
    if (!t) return undefined
    if (t.expires <= this.now()) { this.tokens.delete(scope); return undefined }
    return t.token
  }

  /** `expiresIn` in seconds; the token spec says to assume 60 s when the server gives none. */
  set(scope: string, token: string, expiresIn?: number, issuedAt?: string) {
    const issued = issuedAt ? Date.parse(issuedAt) : NaN
    const base = Number.isFinite(issued) && Math.abs(issued - this.now()) < 3_600_000 ? issued : this.now()
    const ttl = (expiresIn && expiresIn > 0 ? expiresIn : 60) * 1000
    this.tokens.set(scope, { token, expires: base + Math.max(ttl - this.leewayMs, ttl / 2) })
  }

  delete(scope: string) { this.tokens.delete(scope) }
}

/** Reads a token endpoint's JSON answer: `token` or `access_token` (OAuth2 servers only send the latter). */
export function tokenFromResponse(body: string): { token: string; expiresIn?: number; issuedAt?: string } | undefined {
  try {
    const j = JSON.parse(body)
    const token = typeof j?.token === 'string' && j.token ? j.token : typeof j?.access_token === 'string' && j.access_token ? j.access_token : undefined
    if (!token) return undefined
    return { token, expiresIn: typeof j.expires_in === 'number' ? j.expires_in : undefined, issuedAt: typeof j.issued_at === 'string' ? j.issued_at : undefined }
  } catch { return undefined }
}

export function basicAuthorization(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`
}

/** What the client should do after a 401. */
export type AuthRetry = { retry: true } | { retry: false; reason: string }

export class RegistryAuth {
  private bearer?: { realm: string; service?: string }
  private basicRequired = false
  /** The token last fetched per scope: if the registry refuses a token this fresh, another fetch will not help. */
  private readonly fresh = new Map<string, string>()
  private readonly pending = new Map<string, Promise<string>>()

  constructor(
    readonly registry: string,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly tokens = new TokenCache(),
    private readonly fetchImpl: typeof fetch = fetch,
    /** The client's stall timeout: a token server that does not answer in this time fails the request. */
    private readonly timeoutMs = 30_000,
  ) {}

  get hasCredentials(): boolean { return !!this.credentials }

  /** The Authorization header for a request needing `scope` (fetching a token when the registry wants one). */
  async authorization(scope: string): Promise<string | undefined> {
    if (this.bearer) {
      if (!scope) return undefined
      const cached = this.tokens.get(scope)
      if (cached && this.fresh.get(scope) !== cached) return `Bearer ${cached}`
      if (cached) {
        // Its second use: from now on a 401 means "revoked or expired early", worth one more fetch.
        this.fresh.delete(scope)
        return `Bearer ${cached}`
      }
      // Parallel requests (layer downloads) share one token fetch.
      let p = this.pending.get(scope)
      if (!p) {
        p = this.fetchToken(scope).finally(() => this.pending.delete(scope))
        this.pending.set(scope, p)
      }
      return `Bearer ${await p}`
    }
    if (this.credentials) return basicAuthorization(this.credentials)
    return undefined
  }

  /** Learns from a 401's challenge; says whether retrying the request can succeed. */
  onUnauthorized(header: string | null, scope: string, sent: string | undefined): AuthRetry {
    const challenges = parseChallenges(header)
    const bearer = challenges.find(c => c.scheme === 'bearer')
    if (bearer?.params.realm) return this.onBearer(bearer, scope, sent)
    if (challenges.some(c => c.scheme === 'basic') || this.basicRequired) {
      this.basicRequired = true
      if (!this.credentials) return { retry: false, reason: 'the registry requires credentials and none were given' }
      if (sent?.startsWith('Basic ')) return { retry: false, reason: 'the registry rejected the credentials' }
      return { retry: true }
    }
    return { retry: false, reason: header ? 'the registry sent an authentication challenge meso does not support' : 'authentication required' }
  }

  private onBearer(c: Challenge, scope: string, sent: string | undefined): AuthRetry {
    const realm = c.params.realm!
    const changed = !this.bearer || this.bearer.realm !== realm || this.bearer.service !== c.params.service
    this.bearer = { realm, service: c.params.service }
    if (sent?.startsWith('Bearer ')) {
      this.tokens.delete(scope)
      if (!changed && sent === `Bearer ${this.fresh.get(scope)}`) {
        const why = c.params.error === 'insufficient_scope' ? 'insufficient scope' : c.params.error ?? 'token rejected'
        return { retry: false, reason: `the registry refused the token for ${scope} (${why})${this.credentials ? '' : '; this repository probably needs credentials'}` }
      }
      // A cached token may have been revoked or expired early: fetch a fresh one.
    }
    return { retry: true }
  }

  /** GET <realm>?service=…&scope=… with Basic credentials if known; accepts `token` or `access_token`. */
  private async fetchToken(scope: string): Promise<string> {
    const { realm, service } = this.bearer!
    let url: URL
    try { url = new URL(realm) } catch { throw new RegistryError(`registry ${this.registry} sent an invalid token realm`, this.registry) }
    if (service) url.searchParams.set('service', service)
    url.searchParams.append('scope', scope)
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (this.credentials) {
      headers.Authorization = basicAuthorization(this.credentials)
      url.searchParams.set('account', this.credentials.username)
    }
    const where = `token server ${url.origin}${url.pathname} of registry ${this.registry}`
    let res: Response
    try {
      // Bounds the body too: the signal stays armed while it is read.
      res = await this.fetchImpl(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) })
    } catch (err) {
      const cause = transportCause(err)
      throw new RegistryError(`cannot reach ${where}: ${cause.text}`, this.registry, undefined, undefined, cause.transient)
    }
    const body = await res.text().catch(() => '')
    if (res.status === 401 || res.status === 403) {
      const detail = describeErrorBody(body)
      throw new RegistryError(`${where} answered ${statusText(res.status)}${detail ? ` (${detail})` : ''}: ${this.credentials ? 'it rejected the credentials' : 'it wants credentials'}`, this.registry, res.status)
    }
    if (!res.ok) {
      const detail = describeErrorBody(body)
      throw new RegistryError(`${where} answered ${statusText(res.status)}${detail ? ` (${detail})` : ''}`, this.registry, res.status, undefined, res.status >= 500)
    }
    const t = tokenFromResponse(body)
    if (!t) throw new RegistryError(`${where} answered without a token`, this.registry, res.status)
    this.tokens.set(scope, t.token, t.expiresIn, t.issuedAt)
    this.fresh.set(scope, t.token)
    return t.token
  }
}
