// The master operator API event stream (SUBSCRIBE on /api/v1): subscribers get SUBSCRIBED with the full state,
// then TASK_ADDED / TASK_UPDATED / AGENT_* / FRAMEWORK_* and a HEARTBEAT every 15 s.

import { EventStream } from '../core/http/event-stream.ts'
import type { Codec } from '../core/http/negotiate.ts'
import { MEDIA } from '../core/http/negotiate.ts'
import { encodeBody } from '../core/v1/codec.ts'

const EVENT_KEY: Record<string, string> = {
  TASK_ADDED: 'task_added', TASK_UPDATED: 'task_updated', AGENT_ADDED: 'agent_added', AGENT_REMOVED: 'agent_removed',
  FRAMEWORK_ADDED: 'framework_added', FRAMEWORK_UPDATED: 'framework_updated', FRAMEWORK_REMOVED: 'framework_removed',
}

/**
 * What one subscriber may see of an event: the payload itself, a copy with parts removed, or undefined to skip the
 * event (upstream Master::Subscribers::Subscriber::send filters with the subscriber's VIEW_* approvers).
 */
export type EventFilter = (type: string, payload: unknown) => unknown

interface Subscriber { stream: EventStream; codec: Codec; timer: ReturnType<typeof setInterval>; filter?: EventFilter }

export class OperatorEvents {
  private subscribers = new Set<Subscriber>()
  /** In-process listeners (the DNS records, src/master/dns/feed.ts): every event, whether or not a stream listens. */
  private listeners = new Set<(type: string, payload: unknown) => void>()

  /** Calls `fn` with each event from now on; returns the function that stops it. */
  listen(fn: (type: string, payload: unknown) => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  get count(): number { return this.subscribers.size }

  subscribe(codec: Codec, subscribed: unknown, heartbeatSeconds: number, filter?: EventFilter): Response {
    const stream = new EventStream({ 'Content-Type': MEDIA[codec] })
    const send = (event: unknown) => stream.send(encodeBody('mesos.v1.master.Event', codec, event))
    const sub: Subscriber = { stream, codec, timer: setInterval(() => send({ type: 'HEARTBEAT' }), heartbeatSeconds * 1000), filter }
    this.subscribers.add(sub)
    stream.closed.then(() => { clearInterval(sub.timer); this.subscribers.delete(sub) })
    send({ type: 'SUBSCRIBED', subscribed })
    send({ type: 'HEARTBEAT' })
    return stream.response
  }

  publish(type: keyof typeof EVENT_KEY, payload: unknown) {
    for (const fn of this.listeners) fn(type, payload)
    if (!this.subscribers.size) return
    const event = { type, [EVENT_KEY[type]!]: payload }
    // Encode once per codec, not once per subscriber.
    const cache = new Map<Codec, string | Uint8Array>()
    for (const s of this.subscribers) {
      if (s.filter) {
        const shown = s.filter(type, payload)
        if (shown === undefined) continue
        if (shown !== payload) { s.stream.send(encodeBody('mesos.v1.master.Event', s.codec, { type, [EVENT_KEY[type]!]: shown })); continue }
      }
      let body = cache.get(s.codec)
      if (!body) { body = encodeBody('mesos.v1.master.Event', s.codec, event); cache.set(s.codec, body) }
      s.stream.send(body)
    }
  }

  closeAll() {
    for (const s of this.subscribers) { clearInterval(s.timer); s.stream.close() }
    this.subscribers.clear()
  }
}
