// `Content-Encoding: gzip` for answers to clients that send `Accept-Encoding: gzip`, with libprocess' rules
// (3rdparty/libprocess/src/encoder.hpp, Request::acceptsEncoding in http.cpp): only when the request names gzip (or
// `*`) without q=0, never a body that already has an encoding, and a complete body only from 1,024 bytes on (below
// that gzip's header costs more than it saves). Long-lived streams (scheduler and operator event streams, RecordIO)
// are never compressed: a compressor holds back bytes until it has a block to emit, and an event must leave at once.
//
// A body written in slices (json-stream.ts: the 100 MB state answers) is compressed as it is written, through a
// CompressionStream: the slices' pacing and the client's backpressure carry through, and no compressed copy of the
// whole answer is ever held. Compressing costs the master CPU (about 4 ms per MB of JSON on a 2-vCPU VM) and saves
// the network 8–20× (bench/footprint.ts measures both); clients that want the fastest answer on loopback ask for
// identity.

import { isLongLived } from './event-stream.ts'

/** libprocess' GZIP_MINIMUM_BODY_LENGTH. */
export const GZIP_MINIMUM_BODY_LENGTH = 1024

/** Responses whose body is written in slices (json-stream.ts): compressed as a stream, whatever their length. */
const sliced = new WeakSet<Response>()

/** Marks a response as written in slices: compressResponse compresses it as it streams. */
export function markSliced(res: Response): Response {
  sliced.add(res)
  return res
}

/**
 * Whether an `Accept-Encoding` value accepts `encoding`, as libprocess decides it: the coding itself, else `*`,
 * listed without a q-value of 0. An absent or empty header accepts nothing but identity (RFC 2616 lets a server
 * assume anything is accepted then; Mesos does not, and neither do we).
 */
export function acceptsEncoding(header: string | null | undefined, encoding: string): boolean {
  if (!header) return false
  const entries = header.replace(/[ \t\n]/g, '').split(',').filter(Boolean).map(e => {
    const [coding = '', ...params] = e.split(';')
    // stout's strings::pairs: `k=v` with exactly one `=` (empty tokens dropped) counts, anything else is ignored.
    const qs = params.map(p => p.split('=').filter(Boolean)).filter(kv => kv.length === 2 && kv[0]!.toLowerCase() === 'q').map(kv => kv[1]!)
    return { coding: coding.toLowerCase(), qs }
  })
  for (const candidate of [encoding.toLowerCase(), '*']) {
    const entry = entries.find(e => e.coding === candidate)
    if (!entry) continue
    // No q-value, or several: accepted. One: accepted when it is a number above 0.
    if (entry.qs.length !== 1) return true
    return Number(entry.qs[0]) > 0
  }
  return false
}

/**
 * The answer to `req`, gzip-encoded when the request accepts gzip and the answer qualifies (see above); otherwise
 * `res` itself (or, for a small complete body that was read to learn its length, the same bytes). A compressed
 * answer carries `Vary: Accept-Encoding` so that caches keep the two forms apart.
 */
export async function compressResponse(req: Request, res: Response): Promise<Response> {
  if (!res.body || res.headers.has('content-encoding') || !acceptsEncoding(req.headers.get('accept-encoding'), 'gzip')) return res
  if (res.status === 204 || res.status === 304 || req.method === 'HEAD' || isLongLived(res)) return res
  const headers = new Headers(res.headers)
  headers.set('Content-Encoding', 'gzip')
  headers.append('Vary', 'Accept-Encoding')
  headers.delete('content-length')
  if (sliced.has(res)) {
    return new Response(res.body.pipeThrough(new CompressionStream('gzip')), { status: res.status, statusText: res.statusText, headers })
  }
  const body = new Uint8Array(await res.arrayBuffer())
  if (body.byteLength < GZIP_MINIMUM_BODY_LENGTH) return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
  return new Response(Bun.gzipSync(body), { status: res.status, statusText: res.statusText, headers })
}
