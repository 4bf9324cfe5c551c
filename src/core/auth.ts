// HTTP authentication as Mesos does it: Basic against credentials from `--credentials` / `--http_credentials` (JSON
// `{"credentials":[{"principal","secret"}]}`, inline or a path, or the legacy `principal secret` lines), one realm
// per endpoint class; and the agent's executor tokens: HS256 JWTs whose claims (`fid`, `eid`, `cid`) name one
// executor (upstream 3rdparty/libprocess/src/jwt.cpp, jwt_authenticator.cpp and
// src/authentication/executor/jwt_secret_generator.cpp). Secrets are compared in constant time and never logged.
// docs/security-auth.md has the whole picture.

import { readFileSync } from 'node:fs'
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Subject } from './authz/authorizer.ts'
import { text } from './http/responses.ts'

export type Credentials = Map<string, string>

export class CredentialsError extends Error {}

/** Reads a JSON-or-path flag value (`file:///x`, `/x`, or inline JSON). */
export function readFlagFile(value: string): string {
  const v = value.trim()
  if (v.startsWith('{') || v.startsWith('[')) return v
  const path = v.startsWith('file://') ? v.slice('file://'.length) : v
  try { return readFileSync(path, 'utf8') } catch (err) { throw new CredentialsError(`cannot read '${path}': ${(err as Error).message}`) }
}

export function parseCredentials(value: string | undefined): Credentials | undefined {
  if (!value) return undefined
  const text = readFlagFile(value)
  const creds: Credentials = new Map()
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let parsed: any
    try { parsed = JSON.parse(trimmed) } catch (err) { throw new CredentialsError(`invalid credentials JSON: ${(err as Error).message}`) }
    for (const c of parsed.credentials ?? []) {
      if (typeof c.principal !== 'string' || !c.principal) throw new CredentialsError('every credential needs a principal')
      creds.set(c.principal, String(c.secret ?? ''))
    }
  } else {
    for (const line of trimmed.split('\n')) {
      const [p, s] = line.trim().split(/\s+/)
      if (p) creds.set(p, s ?? '')
    }
  }
  return creds
}

export type AuthResult = { ok: true; principal: string } | { ok: false }

export function basicAuth(req: Request, creds: Credentials): AuthResult {
  const h = req.headers.get('authorization')
  if (!h || !/^basic /i.test(h)) return { ok: false }
  let decoded: string
  try { decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8') } catch { return { ok: false } }
  const i = decoded.indexOf(':')
  if (i < 0) return { ok: false }
  const principal = decoded.slice(0, i)
  const secret = decoded.slice(i + 1)
  const want = creds.get(principal)
  if (want === undefined) return { ok: false }
  const a = Buffer.from(secret)
  const b = Buffer.from(want)
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false }
  return { ok: true, principal }
}

export function basicHeader(principal: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${principal}:${secret}`).toString('base64')
}

/** `--credential`: one `{"principal","secret"}` (JSON inline or a path), or a `principal secret` line. */
export function parseCredential(value: string): { principal: string; secret: string } {
  const text = readFlagFile(value).trim()
  if (text.startsWith('{')) {
    let parsed: unknown
    try { parsed = JSON.parse(text) } catch (err) { throw new CredentialsError(`invalid credential JSON: ${(err as Error).message}`) }
    const c = parsed as { principal?: unknown; secret?: unknown }
    if (typeof c.principal !== 'string' || !c.principal) throw new CredentialsError('the credential needs a principal')
    return { principal: c.principal, secret: c.secret === undefined ? '' : String(c.secret) }
  }
  const [principal, secret] = text.split(/\s+/)
  if (!principal) throw new CredentialsError('the credential is empty')
  return { principal, secret: secret ?? '' }
}

/** A fresh random secret (256 bits, base64url): passwords and JWT keys `meso up` generates. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

// ------------------------------------------------------------------------------------------- executor tokens

export class JwtError extends Error {}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url')
const hmac = (data: string, key: string) => createHmac('sha256', key).update(data).digest()

/** An HS256 JWT carrying `claims` (upstream JWT::create; executor tokens carry no `exp`, like Mesos'). */
export function signJwt(claims: Readonly<Record<string, string>>, key: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const body = b64url(JSON.stringify(claims))
  return `${head}.${body}.${b64url(hmac(`${head}.${body}`, key))}`
}

function decodePart(part: string, what: string): Record<string, unknown> {
  let v: unknown
  try { v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) } catch { throw new JwtError(`Failed to decode token ${what}`) }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new JwtError(`Token ${what} is not a JSON object`)
  return v as Record<string, unknown>
}

/**
 * Verifies an HS256 JWT and returns its claims as strings (upstream JWT::parse(token, secret)): other algorithms,
 * `none` included, are refused, so are `crit` headers, expired `exp` and any signature mismatch.
 */
export function verifyJwt(token: string, key: string, nowSeconds = Date.now() / 1000): Record<string, string> {
  const parts = token.split('.')
  if (parts.length !== 3) throw new JwtError(`Expected 3 components in token, got ${parts.length}`)
  const [h, p, sig] = parts as [string, string, string]
  const header = decodePart(h, 'header')
  if (header.alg !== 'HS256') throw new JwtError(`Token 'alg' value ${JSON.stringify(header.alg)} does not match, expected "HS256"`)
  if (header.crit !== undefined) throw new JwtError("Token 'crit' field is unsupported")
  const want = hmac(`${h}.${p}`, key)
  const got = Buffer.from(sig, 'base64url')
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new JwtError('Token signature does not match')
  const payload = decodePart(p, 'payload')
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== 'number') throw new JwtError("JSON payload 'exp' field is not a number")
    if (payload.exp < nowSeconds) throw new JwtError(`Token has expired: exp(${payload.exp}) < now(${Math.floor(nowSeconds)})`)
  }
  const claims: Record<string, string> = {}
  for (const [k, v] of Object.entries(payload)) claims[k] = typeof v === 'string' ? v : JSON.stringify(v)
  if (!Object.keys(claims).length) throw new JwtError('JWT claims missing')
  return claims
}

/** The claims of an executor's token, as the agent generates them (upstream Slave::generateSecret). */
export function executorClaims(frameworkId: string, executorId: string, containerId: string): Record<string, string> {
  return { fid: frameworkId, eid: executorId, cid: containerId }
}

// ------------------------------------------------------------------------------------------- requests

/** How a daemon authenticates HTTP requests: Basic against `credentials`, Bearer executor tokens against `jwtKey`. */
export interface Authenticators {
  credentials?: Credentials
  jwtKey?: string
}

/**
 * The outcome of reading a request's `Authorization`: a principal (`value` for Basic, `claims` for a token), no
 * header at all (`anonymous`), or a header that does not authenticate (`failed`, with Mesos' reason).
 */
export type Authentication =
  | { kind: 'principal'; subject: Subject }
  | { kind: 'anonymous' }
  | { kind: 'failed'; reason: string }

export function authenticate(req: Request, a: Authenticators): Authentication {
  const h = req.headers.get('authorization')
  if (!h) return { kind: 'anonymous' }
  if (/^basic /i.test(h) && a.credentials) {
    const r = basicAuth(req, a.credentials)
    return r.ok ? { kind: 'principal', subject: { value: r.principal } } : { kind: 'failed', reason: 'Invalid credentials' }
  }
  if (/^bearer /i.test(h) && a.jwtKey) {
    try { return { kind: 'principal', subject: { claims: verifyJwt(h.slice(7).trim(), a.jwtKey) } } } catch (err) {
      return { kind: 'failed', reason: `Invalid JWT: ${(err as Error).message}` }
    }
  }
  return { kind: 'failed', reason: `Authorization scheme '${h.split(' ')[0]}' is not accepted here` }
}

/** The challenge of a 401: Basic for the realm, and Bearer too where executor tokens are accepted. */
export function challenges(realm: string, bearer: boolean): string {
  return bearer ? `Basic realm="${realm}", Bearer realm="${realm}"` : `Basic realm="${realm}"`
}

/** How a subject is named in messages and logs (never a secret). */
export function describeSubject(s: Subject | undefined): string {
  if (!s) return 'anonymous'
  if (s.value !== undefined) return `'${s.value}'`
  return `executor token {${Object.entries(s.claims ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')}}`
}

/**
 * Authenticates a request for one realm. `required`: no principal → 401 with the realm's challenge (upstream
 * libprocess answers Unauthorized the same way). Not required: a valid principal is still used (authorization
 * then sees who asks), anything else is anonymous, as when the realm has no authenticator in Mesos.
 */
export function guard(req: Request, a: Authenticators, required: boolean, realm: string): { subject?: Subject } | Response {
  const r = authenticate(req, a)
  if (r.kind === 'principal') return { subject: r.subject }
  if (!required) return {}
  return text(401, r.kind === 'failed' ? r.reason : 'Authentication required', { 'WWW-Authenticate': challenges(realm, !!a.jwtKey) })
}
