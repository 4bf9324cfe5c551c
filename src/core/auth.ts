// HTTP Basic authentication as Mesos does it: credentials from `--credentials` / `--http_credentials` (JSON
// `{"credentials":[{"principal","secret"}]}`, inline or a path, or the legacy `principal secret` lines), one realm
// per endpoint class. Secrets are compared in constant time and never logged.

import { readFileSync } from 'node:fs'
import { timingSafeEqual } from 'node:crypto'

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
