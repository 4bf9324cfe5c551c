// Reading a request body under a limit (docs/security-input.md). A body is never read whole and then measured: a
// Content-Length over the limit is refused before a byte is read, and a chunked body is read chunk by chunk and
// dropped as soon as it passes the limit, so a hostile 50 MB body costs at most the limit. Each chunk also tells
// the caller that the client is making progress (router.ts uses that to keep a slow, steady upload alive while a
// stalled one times out).

import { formatBodyLimit } from './server-limits.ts'
import { badRequest, payloadTooLarge } from './responses.ts'

/** Bodies up to this size with a Content-Length are read in one go (Bun reads exactly that many bytes). */
const SMALL_BODY = 64 * 1024

export const tooLarge = (limit: number, path: string) =>
  payloadTooLarge(`Request body is larger than the limit of ${formatBodyLimit(limit)} for ${path} (--http_request_body_limits)`)

/** The declared Content-Length: a number, undefined when absent, NaN when malformed. */
export function contentLength(req: Request): number | undefined {
  const cl = req.headers.get('content-length')
  return cl === null ? undefined : /^\d+$/.test(cl.trim()) ? Number(cl) : NaN
}

/**
 * The body of `req`, at most `limit` bytes, or the response to send instead: 413 over the limit, 400 when the
 * body cannot be read. `onChunk` runs for every chunk read.
 */
export async function readBody(req: Request, limit: number, path: string, onChunk?: () => void): Promise<Uint8Array | Response> {
  const declared = contentLength(req)
  if (declared !== undefined) {
    if (Number.isNaN(declared)) return badRequest(`Malformed Content-Length '${req.headers.get('content-length')}'`)
    if (declared > limit) return tooLarge(limit, path)
  }
  try {
    if (declared !== undefined && declared <= SMALL_BODY) return new Uint8Array(await req.arrayBuffer())
    const body = req.body
    if (!body) return new Uint8Array(0)
    const reader = body.getReader()
    const chunks: Uint8Array[] = []
    let total = 0
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > limit) {
        reader.cancel().catch(() => {})
        return tooLarge(limit, path)
      }
      chunks.push(value)
      onChunk?.()
    }
    if (chunks.length === 1) return chunks[0]!
    const out = new Uint8Array(total)
    let at = 0
    for (const c of chunks) { out.set(c, at); at += c.byteLength }
    return out
  } catch (err) {
    // Bun's own limit (not normally reached: server-limits.ts sets it out of the way), or a client gone mid-body.
    const msg = (err as Error).message ?? String(err)
    if (/maxRequestBodySize/i.test(msg)) return tooLarge(limit, path)
    return badRequest(`Failed to read the request body: ${msg}`)
  }
}
