// A minimal HTTP/1.1 client that pipelines POSTs over a few keep-alive TCP connections. A busy scheduler makes
// tens of thousands of small calls a second (ACCEPT, ACKNOWLEDGE); through fetch() the client's own overhead would
// become the bottleneck and the benchmark would measure it instead of the master. Requests written in the same tick
// leave in one write; responses come back in order per connection (HTTP/1.1 pipelining), so each is matched to its
// request by position. Only what the master sends is understood: Content-Length or chunked bodies.

import type { Socket } from 'bun'

interface Pending { resolve: (r: { status: number; body: string }) => void; reject: (e: Error) => void }

interface Conn {
  socket?: Socket<undefined>
  ready: Promise<void>
  out: string[]
  unsent?: Buffer
  scheduled: boolean
  waiting: Pending[]
  buf: Buffer
  closed?: Error
}

export class HttpPipeline {
  private readonly conns: Conn[] = []
  private next = 0
  inFlight = 0

  constructor(private readonly host: string, private readonly port: number, connections = 4) {
    for (let i = 0; i < connections; i++) this.conns.push(this.open())
  }

  static forUrl(url: string, connections = 4): HttpPipeline {
    const u = new URL(url)
    return new HttpPipeline(u.hostname, Number(u.port || 80), connections)
  }

  /** POSTs `body` (UTF-8 JSON text) and resolves with the status and body text of the response. */
  post(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
    const c = this.conns[this.next++ % this.conns.length]!
    if (c.closed) return Promise.reject(c.closed)
    let head = `POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`
    c.out.push(head + '\r\n' + body)
    this.inFlight++
    if (!c.scheduled) {
      c.scheduled = true
      queueMicrotask(() => void this.flush(c))
    }
    return new Promise((resolve, reject) => c.waiting.push({
      resolve: r => { this.inFlight--; resolve(r) },
      reject: e => { this.inFlight--; reject(e) },
    }))
  }

  close(): void {
    for (const c of this.conns) c.socket?.end()
  }

  private open(): Conn {
    const c: Conn = { out: [], scheduled: false, waiting: [], buf: Buffer.alloc(0), ready: Promise.resolve() }
    c.ready = Bun.connect({
      hostname: this.host,
      port: this.port,
      socket: {
        data: (_s, chunk) => this.onData(c, chunk),
        drain: s => {
          if (!c.unsent) return
          const n = s.write(c.unsent)
          c.unsent = n < c.unsent.length ? c.unsent.subarray(n) : undefined
        },
        close: () => this.fail(c, new Error('connection closed by the master')),
        error: (_s, err) => this.fail(c, err),
      },
    }).then(s => { c.socket = s })
    return c
  }

  private async flush(c: Conn): Promise<void> {
    await c.ready
    c.scheduled = false
    if (!c.out.length || c.closed) return
    const data = Buffer.from(c.out.join(''))
    c.out.length = 0
    if (c.unsent) { c.unsent = Buffer.concat([c.unsent, data]); return }
    const n = c.socket!.write(data)
    if (n < data.length) c.unsent = data.subarray(Math.max(0, n))
  }

  private fail(c: Conn, err: Error): void {
    c.closed = err
    for (const p of c.waiting.splice(0)) p.reject(err)
  }

  private onData(c: Conn, chunk: Buffer): void {
    c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk
    for (;;) {
      const end = c.buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = c.buf.toString('latin1', 0, end)
      const status = Number(head.slice(9, 12))
      let bodyStart = end + 4
      let body = ''
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      if (cl) {
        const len = Number(cl[1])
        if (c.buf.length < bodyStart + len) return
        body = c.buf.toString('utf8', bodyStart, bodyStart + len)
        bodyStart += len
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const parsed = readChunked(c.buf, bodyStart)
        if (!parsed) return
        body = parsed.body
        bodyStart = parsed.next
      }
      c.buf = c.buf.subarray(bodyStart)
      c.waiting.shift()?.resolve({ status, body })
    }
  }
}

function readChunked(buf: Buffer, pos: number): { body: string; next: number } | undefined {
  const parts: string[] = []
  for (;;) {
    const nl = buf.indexOf('\r\n', pos)
    if (nl < 0) return undefined
    const size = parseInt(buf.toString('latin1', pos, nl), 16)
    if (buf.length < nl + 2 + size + 2) return undefined
    if (size === 0) return { body: parts.join(''), next: nl + 4 }
    parts.push(buf.toString('utf8', nl + 2, nl + 2 + size))
    pos = nl + 2 + size + 2
  }
}
