// Errors from talking to a registry, worded for the TaskStatus message an operator reads: which registry, what was
// asked, the HTTP status and the registry's own error code. Never includes credentials or tokens.

export class RegistryError extends Error {
  constructor(message: string, readonly registry: string, readonly status?: number, readonly code?: string, readonly transient = false) {
    super(message)
  }
}

/** `UNAUTHORIZED: authentication required` from distribution's `{"errors":[{code,message}]}` body, else a snippet. */
export function describeErrorBody(body: string): string {
  const t = body.trim()
  if (!t) return ''
  try {
    const j = JSON.parse(t)
    const errs = Array.isArray(j?.errors) ? j.errors : []
    if (errs.length) return errs.map((e: any) => [e.code, e.message].filter(Boolean).join(': ')).join('; ')
    if (typeof j?.details === 'string') return j.details
    if (typeof j?.error === 'string') return j.error
  } catch { /* not JSON */ }
  const line = t.split('\n')[0]!.replace(/<[^>]*>/g, '').trim()
  return line.length > 160 ? `${line.slice(0, 160)}…` : line
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 416: 'Range Not Satisfiable', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
}

export function statusText(status: number): string {
  return `${status}${REASONS[status] ? ` ${REASONS[status]}` : ''}`
}

/** What to tell the operator to do about a status. */
export function hintFor(status: number): string {
  if (status === 401) return '; check the registry credentials (Image.Docker.config, --docker_config, or meso task run --registry-user)'
  if (status === 403) return '; the credentials are not allowed to pull this repository'
  if (status === 404) return '; check the image name and tag'
  return ''
}

/** Whether a status is worth retrying (the registry or a proxy in front of it is having a moment). */
export function transientStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504
}

/** A readable cause for a fetch() failure (Bun's codes: ECONNREFUSED, ConnectionRefused, EPROTO, …). */
export function transportCause(err: unknown): { text: string; transient: boolean } {
  const e = err as { code?: string; message?: string; name?: string }
  const code = String(e?.code ?? '')
  const msg = String(e?.message ?? err)
  if (/ECONNREFUSED|ConnectionRefused/i.test(code) || /Unable to connect/i.test(msg)) return { text: 'connection refused', transient: true }
  if (/ENOTFOUND|EAI_AGAIN|DNS/i.test(code) || /getaddrinfo|DNS/i.test(msg)) return { text: 'host not found (DNS lookup failed)', transient: /EAI_AGAIN/.test(code) }
  if (/ETIMEDOUT|Timeout/i.test(code) || e?.name === 'TimeoutError' || /timed out/i.test(msg)) return { text: 'timed out', transient: true }
  if (/ECONNRESET|ConnectionClosed|EPIPE|socket/i.test(code) || /closed|reset/i.test(msg)) return { text: 'connection reset', transient: true }
  if (/EPROTO|CERT|SSL|TLS/i.test(code) || /TLS|certificate|SSL/i.test(msg)) {
    return { text: `TLS handshake failed (${msg.replace(/^\w+: /, '')}); for a plain-HTTP registry add it to --docker_registry_insecure`, transient: false }
  }
  if (e?.name === 'AbortError') return { text: 'aborted', transient: false }
  return { text: msg, transient: true }
}
