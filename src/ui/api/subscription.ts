// The UI follows the operator API's SUBSCRIBE stream (RecordIO over POST /api/v1) rather than polling /master/state:
// one request per tab, the whole state once, then only changes. A broken stream reconnects with backoff and
// re-syncs from the new SUBSCRIBED snapshot.

import { RecordIODecoder } from '../../core/recordio.ts'
import type { OperatorEvent } from '../model/cluster-state.ts'
import { AuthRequired, request } from './http.ts'

export type Connection = { state: 'connecting' } | { state: 'live' } | { state: 'retrying'; inSeconds: number; error: string } | { state: 'signed-out' }

/** The next wait after a failure: doubling from 1 s up to 30 s, with up to 20 % jitter so tabs do not stampede. */
export function backoffSeconds(failures: number, random = Math.random): number {
  const base = Math.min(30, 2 ** Math.max(0, failures - 1))
  return Math.round(base * (1 + random() * 0.2) * 10) / 10
}

export interface SubscriptionHandlers {
  event(e: OperatorEvent): void
  connection(c: Connection): void
}

/** Subscribes until `stop()`; reconnects on any failure except a refusal for credentials (then waits for `retry()`). */
export function subscribe(h: SubscriptionHandlers): { stop(): void; retry(): void } {
  let stopped = false
  let failures = 0
  let controller: AbortController | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  /** Bumped by retry(): a run of an older generation that fails does not schedule another. */
  let generation = 0

  const run = async () => {
    if (stopped) return
    const mine = ++generation
    let watchdog: ReturnType<typeof setInterval> | undefined
    controller = new AbortController()
    h.connection({ state: 'connecting' })
    let heartbeatSeconds = 15
    let lastData = Date.now()
    try {
      const res = await request('SUBSCRIBE', '/api/v1', {
        method: 'POST', body: JSON.stringify({ type: 'SUBSCRIBE' }), signal: controller.signal,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      })
      if (!res.body) throw new Error('the master sent no event stream')
      // A stream that goes silent for three heartbeats is dead (a proxy, a suspended laptop): start again.
      watchdog = setInterval(() => { if (Date.now() - lastData > 3 * heartbeatSeconds * 1000) controller?.abort() }, 5000)
      const reader = res.body.getReader()
      const decoder = new RecordIODecoder(64 * 1024 * 1024)
      const text = new TextDecoder()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        lastData = Date.now()
        for (const record of decoder.push(value)) {
          const e = JSON.parse(text.decode(record)) as OperatorEvent
          if (e.type === 'SUBSCRIBED') {
            failures = 0
            heartbeatSeconds = e.subscribed?.heartbeat_interval_seconds ?? heartbeatSeconds
            h.connection({ state: 'live' })
          }
          h.event(e)
        }
      }
      throw new Error('the master closed the event stream')
    } catch (err) {
      if (stopped || mine !== generation) return
      if (err instanceof AuthRequired) { h.connection({ state: 'signed-out' }); return }
      failures++
      const wait = backoffSeconds(failures)
      h.connection({ state: 'retrying', inSeconds: wait, error: (err as Error).message })
      timer = setTimeout(run, wait * 1000)
    } finally {
      clearInterval(watchdog)
    }
  }
  void run()
  return {
    stop() { stopped = true; controller?.abort(); clearTimeout(timer) },
    retry() { clearTimeout(timer); controller?.abort(); failures = 0; void run() },
  }
}
