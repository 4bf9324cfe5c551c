// A long-lived chunked HTTP response carrying RecordIO records, one HTTP chunk per record (naive clients such as
// npm mesos-framework split each chunk on '\n' and expect exactly one record). `closed` resolves when either side
// ends the stream, which is how the master notices a scheduler going away.
//
// A stream may last for hours with nothing but heartbeats, so the router lifts the request's idle timer for it
// (isLongLived; docs/security-input.md), and the response says `Connection: close`: Bun keeps a lifted timer on a
// kept-alive connection, so the connection ends with the stream rather than idling on without a timeout.

import { frame } from '../recordio.ts'

const longLived = new WeakSet<Response>()

/**
 * Whether a response is a stream that may outlive any timeout: an EventStream, or any RecordIO response (image
 * pull progress, container IO), which are streams by definition.
 */
export function isLongLived(res: Response): boolean {
  // Streams answer 200; reading a Response's headers costs, and most answers on the hot path are 202s.
  if (res.status !== 200) return false
  return longLived.has(res) || (res.headers.get('content-type')?.startsWith('application/recordio') ?? false)
}

/** Marks a streamed response of another kind (Marathon's server-sent events, src/master/services/) as long-lived. */
export function markLongLived(res: Response): Response {
  longLived.add(res)
  return res
}

export class EventStream {
  private controller: any
  private pending: Uint8Array[] = []
  private done = false
  private release!: () => void
  readonly closed: Promise<void>
  readonly response: Response

  constructor(headers: Record<string, string>, status = 200) {
    this.closed = new Promise<void>(resolve => { this.release = resolve })
    const self = this
    const body = new ReadableStream({
      type: 'direct',
      async pull(controller: any) {
        self.controller = controller
        for (const p of self.pending.splice(0)) { controller.write(p); controller.flush() }
        if (self.done) { controller.close(); return }
        await self.closed
      },
      cancel() { self.finish() },
    } as any)
    this.response = new Response(body, { status, headers: { ...headers, Connection: 'close' } })
    longLived.add(this.response)
  }

  get isClosed(): boolean { return this.done }

  /** Sends one record; returns false once the stream is closed. */
  send(data: string | Uint8Array): boolean {
    if (this.done) return false
    if (!this.controller) { this.pending.push(frame(data)); return true }
    try {
      // The length line and the record written apart and flushed together leave as one HTTP chunk (a direct
      // stream sends what a flush finds buffered as one chunk), without first encoding a string record to bytes and
      // copying both into a third buffer as frame() does: that was a tenth of the cost of an UPDATE event.
      this.controller.write(`${typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength}\n`)
      this.controller.write(data)
      this.controller.flush()
      return true
    } catch {
      this.finish()
      return false
    }
  }

  /** Sends raw bytes without framing (for streams whose payload is already framed). */
  sendRaw(data: Uint8Array): boolean {
    if (this.done) return false
    if (!this.controller) { this.pending.push(data); return true }
    try { this.controller.write(data); this.controller.flush(); return true } catch { this.finish(); return false }
  }

  close(): void {
    if (this.done) return
    this.done = true
    try { this.controller?.close() } catch { /* already gone */ }
    this.release()
  }

  private finish() {
    if (this.done) return
    this.done = true
    this.release()
  }
}
