// `Accept-Encoding: gzip` as libprocess decides it (src/core/http/compression.ts): which headers accept gzip, which
// answers are compressed, and that what a client decompresses is byte for byte what it would have got plainly.

import { expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { acceptsEncoding, compressResponse, GZIP_MINIMUM_BODY_LENGTH, markSliced } from '../../src/core/http/compression.ts'
import { EventStream } from '../../src/core/http/event-stream.ts'

test('acceptsEncoding follows libprocess: listed or *, without q=0; nothing when absent or empty', () => {
  const yes = ['gzip', 'GZIP', 'deflate, gzip', 'gzip;q=0.5', 'gzip; q=1', '*', 'br, *', 'gzip;q=', 'gzip;q=a=b', 'gzip;level=1']
  const no = [null, undefined, '', 'identity', 'deflate, br', 'gzip;q=0', 'gzip; q=0.0', 'gzip;q=abc', 'gzip;q=-1', '*;q=0', 'gzip;q=0, *', 'x-gzip']
  for (const h of yes) expect([h, acceptsEncoding(h, 'gzip')]).toEqual([h, true])
  for (const h of no) expect([h, acceptsEncoding(h, 'gzip')]).toEqual([h, false])
  // `*` only stands for codings not listed explicitly.
  expect(acceptsEncoding('gzip;q=0,*;q=1', 'gzip')).toBe(false)
  expect(acceptsEncoding('deflate;q=0,*', 'gzip')).toBe(true)
})

const req = (acceptEncoding?: string, method = 'GET') =>
  new Request('http://m/master/state', { method, headers: acceptEncoding ? { 'Accept-Encoding': acceptEncoding } : {} })

const big = JSON.stringify({ tasks: Array.from({ length: 500 }, (_, i) => ({ id: `t${i}`, state: 'TASK_RUNNING', name: 'naïve €' })) })

test('a complete body from 1,024 bytes on is gzipped for a client that accepts it, with Vary', async () => {
  const res = await compressResponse(req('gzip, deflate'), new Response(big, { status: 200, headers: { 'Content-Type': 'application/json' } }))
  expect(res.headers.get('content-encoding')).toBe('gzip')
  expect(res.headers.get('vary')).toBe('Accept-Encoding')
  expect(res.headers.get('content-type')).toBe('application/json')
  const raw = new Uint8Array(await res.arrayBuffer())
  expect(raw.byteLength).toBeLessThan(big.length / 5)
  expect(gunzipSync(raw).toString('utf8')).toBe(big)
})

test('what is not compressed: no or refused Accept-Encoding, small bodies, HEAD, no body, encoded bodies, event streams', async () => {
  const plain = () => new Response(big, { headers: { 'Content-Type': 'application/json' } })
  for (const r of [req(), req('identity'), req('gzip;q=0'), req('gzip', 'HEAD')]) {
    const res = await compressResponse(r, plain())
    expect(res.headers.has('content-encoding')).toBe(false)
  }
  const small = 'x'.repeat(GZIP_MINIMUM_BODY_LENGTH - 1)
  const smallRes = await compressResponse(req('gzip'), new Response(small, { status: 409 }))
  expect(smallRes.headers.has('content-encoding')).toBe(false)
  expect(smallRes.status).toBe(409)
  expect(await smallRes.text()).toBe(small)
  const accepted = await compressResponse(req('gzip'), new Response(null, { status: 202 }))
  expect(accepted.status).toBe(202)
  const encoded = new Response(big, { headers: { 'Content-Encoding': 'br' } })
  expect(await compressResponse(req('gzip'), encoded)).toBe(encoded)
  // A scheduler's event stream must deliver each event at once: never through a compressor.
  const stream = new EventStream({ 'Content-Type': 'application/json' })
  expect(await compressResponse(req('gzip'), stream.response)).toBe(stream.response)
  stream.close()
})

test('a body written in slices is compressed as it streams and decompresses to the same bytes', async () => {
  const pieces = Array.from({ length: 50 }, (_, i) => `${i ? ',' : '['}${JSON.stringify({ i, pad: 'p'.repeat(100) })}`)
  const body = new ReadableStream({
    type: 'direct',
    async pull(controller: ReadableStreamDirectController) {
      for (const p of pieces) { controller.write(p); await controller.flush() }
      controller.write(']')
      controller.close()
    },
  })
  const res = await compressResponse(req('gzip'), markSliced(new Response(body, { headers: { 'Content-Type': 'application/json' } })))
  expect(res.headers.get('content-encoding')).toBe('gzip')
  expect(gunzipSync(new Uint8Array(await res.arrayBuffer())).toString('utf8')).toBe(pieces.join('') + ']')
})
