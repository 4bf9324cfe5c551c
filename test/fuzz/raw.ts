// Raw-socket clients for what fetch cannot do (docs/security-input.md): requests left half-sent, and large hostile
// bodies streamed at the server's pace, with or without a Content-Length.

import { connect, type Socket } from 'node:net'

export type HalfOpenKind = 'headers' | 'body' | 'idle'

/**
 * Opens `n` connections that stop mid-request: `headers` sends part of a request head, `body` a full head and part
 * of the body it announces, `idle` one complete request and then nothing (a kept-alive connection). Resolves with
 * the milliseconds after which each connection was closed by the server (Infinity: still open at `waitMs`).
 */
export async function halfOpen(url: string, n: number, kind: HalfOpenKind, waitMs: number): Promise<number[]> {
  const u = new URL(url)
  const head = kind === 'headers'
    ? `POST /api/v1/scheduler HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: appl`
    : kind === 'body'
      ? `POST /api/v1/scheduler HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":"SUB`
      : `GET /health HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`
  const t0 = Date.now()
  const sockets: Socket[] = []
  const closed = Array.from({ length: n }, () => new Promise<number>(resolve => {
    const s = connect(Number(u.port), u.hostname, () => s.write(head))
    sockets.push(s)
    s.on('data', () => {})
    s.on('error', () => {})
    s.on('close', () => resolve(Date.now() - t0))
  }))
  const timer = new Promise<void>(r => setTimeout(r, waitMs))
  const times = await Promise.all(closed.map(p => Promise.race([p, timer.then(() => Infinity)])))
  for (const s of sockets) s.destroy()
  return times
}

/** Resolves when a socket can take more, or has closed. */
function drained(s: Socket): Promise<void> {
  return new Promise(resolve => {
    const go = () => { s.off('drain', go); s.off('close', go); resolve() }
    s.on('drain', go)
    s.on('close', go)
  })
}

/**
 * Sends a body of `size` bytes of `fill` to `path`, chunked or with a Content-Length, as fast as the server reads
 * it; stops when the server answers or closes. Resolves with the status line and the body of the answer.
 */
export function hostileBody(url: string, path: string, size: number, o: { chunked: boolean; fill?: string; contentType?: string; timeoutMs?: number }): Promise<{ status: number; body: string; sent: number }> {
  const u = new URL(url)
  return new Promise(resolve => {
    let answer = ''
    let sent = 0
    let finished = false
    const done = () => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      s.destroy()
      const m = /^HTTP\/1\.1 (\d+)/.exec(answer)
      resolve({ status: m ? Number(m[1]) : 0, body: answer.slice(answer.indexOf('\r\n\r\n') + 4), sent })
    }
    const timer = setTimeout(done, o.timeoutMs ?? 60_000)
    const s = connect(Number(u.port), u.hostname, async () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: ${o.contentType ?? 'application/json'}\r\n` +
        (o.chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${size}\r\n\r\n`))
      const chunk = Buffer.alloc(64 * 1024, o.fill ?? '[')
      while (sent < size && !s.destroyed && !answer) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent))
        const ok = s.write(o.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece)
        sent += piece.length
        if (!ok) await drained(s)
      }
      if (o.chunked && !s.destroyed && !answer) s.write('0\r\n\r\n')
    })
    s.on('data', d => {
      answer += d.toString()
      const head = answer.indexOf('\r\n\r\n')
      const len = /content-length: (\d+)/i.exec(answer)
      if (head >= 0 && len && answer.length >= head + 4 + Number(len[1])) done()
    })
    s.on('error', () => {})
    s.on('close', done)
  })
}
