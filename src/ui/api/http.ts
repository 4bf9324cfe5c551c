// The UI's requests to the master it was served from: same origin only (the Content-Security-Policy allows nothing
// else), Basic credentials on every request once the operator signed in. The credentials live in sessionStorage —
// gone when the tab closes, never in a URL or in localStorage.

const KEY = 'meso.credentials'

export interface Credentials { principal: string; secret: string }

export function savedCredentials(): Credentials | undefined {
  try {
    const raw = sessionStorage.getItem(KEY)
    const c = raw ? (JSON.parse(raw) as Credentials) : undefined
    return c && typeof c.principal === 'string' && typeof c.secret === 'string' ? c : undefined
  } catch { return undefined }
}

export function saveCredentials(c: Credentials | undefined) {
  if (c) sessionStorage.setItem(KEY, JSON.stringify(c))
  else sessionStorage.removeItem(KEY)
}

/** Basic credentials as RFC 7617 encodes them (UTF-8, then base64). */
export function basicHeader(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.principal}:${c.secret}`)
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return `Basic ${btoa(bin)}`
}

/** Thrown for a 401: the page asks the operator to sign in, then retries. */
export class AuthRequired extends Error {
  constructor(readonly what: string) { super(`${what}: authentication required`) }
}

/** Thrown for any other failed answer, with the master's (or agent's) own message. */
export class RequestFailed extends Error {
  constructor(readonly what: string, readonly status: number, message: string) { super(`${what} failed: ${status} ${message}`.trim()) }
}

const listeners = new Set<() => void>()
/** Called whenever a request was refused for want of credentials. */
export function onAuthRequired(f: () => void): () => void {
  listeners.add(f)
  return () => listeners.delete(f)
}

export async function request(what: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const c = savedCredentials()
  if (c) headers.set('Authorization', basicHeader(c))
  const res = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' })
  if (res.status === 401) {
    for (const f of listeners) f()
    throw new AuthRequired(what)
  }
  if (!res.ok) throw new RequestFailed(what, res.status, (await res.text().catch(() => '')).slice(0, 300))
  return res
}

/** A v1 operator call (POST /api/v1, JSON both ways). */
export async function operatorCall<T>(call: Record<string, unknown> & { type: string }, signal?: AbortSignal): Promise<T> {
  const res = await request(call.type, '/api/v1', {
    method: 'POST', body: JSON.stringify(call), signal,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  })
  return (await res.json()) as T
}

/** Whether the master asks for credentials on read-only calls: one cheap GET_HEALTH tells. */
export async function probeAuthentication(): Promise<boolean> {
  try {
    await operatorCall({ type: 'GET_HEALTH' })
    return false
  } catch (err) {
    if (err instanceof AuthRequired) return true
    throw err
  }
}
