// Marathon's event stream, GET /v2/events, for the services pages. EventSource cannot send an Authorization header,
// so the stream is read with fetch and a ReadableStream reader (the same credentials as every other request) and
// parsed by the CLI's pure SSE parser (src/client/service-events.ts). Only the event types the UI acts on are asked
// for. A stream that fails, ends, or stays silent past three of the master's 15 s heartbeats reconnects with the
// operator stream's backoff.

import { SseParser, type ServiceEvent } from '../../client/service-events.ts'
import { WATCHED_EVENTS } from '../model/services.ts'
import { AuthRequired, request, RequestFailed } from './http.ts'
import { backoffSeconds } from './subscription.ts'

const HEARTBEAT_MS = 15_000

export type ServiceStreamState = { state: 'connecting' } | { state: 'live' } | { state: 'retrying'; inSeconds: number; error: string } | { state: 'absent'; error: string } | { state: 'signed-out' }

export interface ServiceEventHandlers {
  event(e: ServiceEvent): void
  state(s: ServiceStreamState): void
}

/** Follows /v2/events until `stop()`; a 404 (a master started with --no-services) or a 401 ends it for good. */
export function followServiceEvents(h: ServiceEventHandlers): { stop(): void } {
  let stopped = false
  let failures = 0
  let controller: AbortController | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const query = WATCHED_EVENTS.map(t => `event_type=${t}`).join('&')

  const run = async () => {
    if (stopped) return
    controller = new AbortController()
    let watchdog: ReturnType<typeof setInterval> | undefined
    let lastData = Date.now()
    h.state({ state: 'connecting' })
    try {
      const res = await request('following /v2/events', `/v2/events?${query}`, { signal: controller.signal, headers: { Accept: 'text/event-stream' } })
      if (!res.body) throw new Error('the master sent no event stream')
      watchdog = setInterval(() => { if (Date.now() - lastData > 3 * HEARTBEAT_MS) controller?.abort() }, 5000)
      const reader = res.body.getReader()
      const parser = new SseParser()
      const text = new TextDecoder()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        lastData = Date.now()
        for (const e of parser.push(text.decode(value, { stream: true }))) {
          if (e.type === 'event_stream_attached') { failures = 0; h.state({ state: 'live' }) }
          h.event(e)
        }
      }
      throw new Error('the master closed the event stream')
    } catch (err) {
      if (stopped) return
      if (err instanceof AuthRequired) { h.state({ state: 'signed-out' }); return }
      if (err instanceof RequestFailed && err.status === 404) { h.state({ state: 'absent', error: err.message }); return }
      failures++
      const wait = backoffSeconds(failures)
      h.state({ state: 'retrying', inSeconds: wait, error: (err as Error).message })
      timer = setTimeout(run, wait * 1000)
    } finally {
      clearInterval(watchdog)
    }
  }
  void run()
  return { stop() { stopped = true; controller?.abort(); clearTimeout(timer) } }
}
