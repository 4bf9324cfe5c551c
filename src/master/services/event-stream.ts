// Marathon's event stream, GET /v2/events (its EventsResource / SSE): `event: <type>` and `data: <json>` per event,
// `event_type` query parameters to receive only those types, a comment line on subscribing and then as a heartbeat
// so proxies and clients see a live connection. Each subscriber has a bounded buffer: one that does not read is
// dropped rather than grow the master's memory. Event types that are meso's own (not in Marathon's list, which
// strict clients such as marathon-python refuse) go only to subscribers that ask for them by name.

import { markLongLived } from '../../core/http/event-stream.ts'
import { logger } from '../../core/log.ts'

const log = logger('services')

/** Bytes a subscriber may have unread before it is dropped. */
export const SUBSCRIBER_BUFFER_BYTES = 4 * 1024 * 1024
export const HEARTBEAT_MS = 15_000

/** meso's own event types, sent only on request. */
export const MESO_EVENT_TYPES = new Set(['offers_declined_event'])

interface Subscriber { types?: Set<string>; controller: ReadableStreamDefaultController<Uint8Array>; remote: string }

export class ServiceEvents {
  private readonly subscribers = new Set<Subscriber>()
  private readonly heartbeat: ReturnType<typeof setInterval>
  private readonly encoder = new TextEncoder()

  constructor() {
    this.heartbeat = setInterval(() => { for (const s of this.subscribers) this.send(s, this.encoder.encode(':\n\n')) }, HEARTBEAT_MS)
  }

  get subscriberCount() { return this.subscribers.size }

  /** Publishes one event (`eventType` and `timestamp` are added). */
  publish(eventType: string, fields: Record<string, unknown>): void {
    if (!this.subscribers.size) return
    const data = JSON.stringify({ eventType, timestamp: new Date().toISOString(), ...fields })
    const bytes = this.encoder.encode(`event: ${eventType}\ndata: ${data}\n\n`)
    for (const s of this.subscribers) {
      if (s.types ? !s.types.has(eventType) : MESO_EVENT_TYPES.has(eventType)) continue
      this.send(s, bytes)
    }
  }

  private send(s: Subscriber, bytes: Uint8Array) {
    if ((s.controller.desiredSize ?? 0) < bytes.length) {
      log.warn(`Dropping event stream subscriber ${s.remote}: it is ${SUBSCRIBER_BUFFER_BYTES} bytes behind`)
      this.subscribers.delete(s)
      try { s.controller.close() } catch { /* already closed */ }
      return
    }
    try { s.controller.enqueue(bytes) } catch { this.subscribers.delete(s) }
  }

  /** The response for one subscriber. */
  subscribe(types: string[], remote: string): Response {
    let sub: Subscriber | undefined
    const stream = new ReadableStream<Uint8Array>({
      start: controller => {
        sub = { controller, remote, ...(types.length ? { types: new Set(types) } : {}) }
        this.subscribers.add(sub)
        // A first comment at once: the server sends the headers with the first bytes, and a subscriber whose
        // event_type filter leaves out event_stream_attached would otherwise see nothing until the first heartbeat.
        controller.enqueue(this.encoder.encode(':\n\n'))
        this.publish('event_stream_attached', { remoteAddress: remote })
      },
      cancel: () => {
        if (sub) this.subscribers.delete(sub)
        this.publish('event_stream_detached', { remoteAddress: remote })
      },
    }, { highWaterMark: SUBSCRIBER_BUFFER_BYTES, size: chunk => chunk?.length ?? 0 })
    // Long-lived: the router lifts the response timer (as for the v1 event streams), and the connection ends with it.
    return markLongLived(new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'close' } }))
  }

  stop(): void {
    clearInterval(this.heartbeat)
    for (const s of this.subscribers) { try { s.controller.close() } catch { /* closed */ } }
    this.subscribers.clear()
  }
}
