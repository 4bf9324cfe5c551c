// Mesos answers errors with a plain-text body; these helpers keep status codes and messages uniform.

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' }

export const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { ...TEXT, ...headers } })

export const badRequest = (msg: string) => text(400, msg)
export const unauthorized = (realm: string, msg = '') =>
  text(401, msg, { 'WWW-Authenticate': `Basic realm="${realm}"` })
export const forbidden = (msg: string) => text(403, msg)
export const notFound = (msg = '') => text(404, msg)
export const methodNotAllowed = (allow: string[]) =>
  text(405, `Expecting one of { '${allow.join("', '")}' }`, { Allow: allow.join(', ') })
export const conflict = (msg: string) => text(409, msg)
export const notAcceptable = (msg: string) => text(406, msg)
export const unsupportedMediaType = (msg: string) => text(415, msg)
/**
 * Over a body limit (docs/security-input.md). No `Connection: close`: closing with the client's body still coming
 * makes the kernel reset the connection, and the client loses the answer; Bun drops the rest of the body instead,
 * within the idle timeout.
 */
export const payloadTooLarge = (msg: string) => text(413, msg)
export const serviceUnavailable = (msg: string) => text(503, msg)
export const internalError = (msg: string) => text(500, msg)
export const accepted = () => new Response(null, { status: 202 })
export const ok = () => new Response(null, { status: 200 })

/**
 * JSON with optional `?jsonp=fn` wrapping, as every v0 endpoint supports. `encode` writes the body: a v0 view's writer
 * (src/core/json/v0-json.ts) where doubles must print as Mesos prints them.
 */
export function json(value: unknown, req?: Request, status = 200, encode: (value: unknown) => string = JSON.stringify): Response {
  const body = encode(value)
  const jsonp = req ? new URL(req.url).searchParams.get('jsonp') : null
  if (jsonp && /^[A-Za-z_$][\w$.]*$/.test(jsonp)) {
    return new Response(`${jsonp}(${body});`, { status, headers: { 'Content-Type': 'text/javascript' } })
  }
  return new Response(body, { status, headers: { 'Content-Type': 'application/json' } })
}
