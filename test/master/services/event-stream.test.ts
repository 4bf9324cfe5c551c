// Marathon's /v2/events as server-sent events: the framing, the event_type filter, meso's own types only on
// request, and a subscriber that does not read dropped instead of buffered without end.

import { expect, test } from 'bun:test'
import { ServiceEvents, SUBSCRIBER_BUFFER_BYTES } from '../../../src/master/services/event-stream.ts'

async function readSome(res: Response, until: string): Promise<string> {
  const reader = res.body!.getReader()
  let text = ''
  while (!text.includes(until)) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return text
}

test('events are `event:` and `data:` lines; event_type filters', async () => {
  const events = new ServiceEvents()
  const all = events.subscribe([], 'all')
  const only = events.subscribe(['deployment_success'], 'only')
  events.publish('status_update_event', { appId: '/web', taskStatus: 'TASK_RUNNING' })
  events.publish('offers_declined_event', { appId: '/web' })
  events.publish('deployment_success', { id: 'd1' })
  const text = await readSome(all, 'deployment_success')
  expect(text).toContain('event: event_stream_attached\ndata: {"eventType":"event_stream_attached"')
  expect(text).toMatch(/event: status_update_event\ndata: \{"eventType":"status_update_event","timestamp":"[^"]+","appId":"\/web","taskStatus":"TASK_RUNNING"\}\n\n/)
  // meso's own event type goes only to those who ask for it (strict Marathon clients refuse unknown types).
  expect(text).not.toContain('offers_declined_event')
  const filtered = await readSome(only, 'deployment_success')
  expect(filtered).not.toContain('status_update_event')
  expect(filtered).toContain('"id":"d1"')
  events.stop()
})

test('a subscriber that does not read is dropped', () => {
  const events = new ServiceEvents()
  events.subscribe([], 'slow')
  const big = 'x'.repeat(64 * 1024)
  for (let i = 0; i < SUBSCRIBER_BUFFER_BYTES / big.length + 2; i++) events.publish('status_update_event', { big })
  expect(events.subscriberCount).toBe(0)
  events.stop()
})

test('a subscriber whose filter leaves out event_stream_attached gets a comment at once, not after the heartbeat', async () => {
  const events = new ServiceEvents()
  const only = events.subscribe(['deployment_success'], 'only')
  const reader = only.body!.getReader()
  const first = await Promise.race([reader.read(), Bun.sleep(1000).then(() => undefined)])
  expect(first?.value && new TextDecoder().decode(first.value)).toBe(':\n\n')
  reader.releaseLock()
  events.stop()
})

test('over HTTP the response headers come before any event', async () => {
  const events = new ServiceEvents()
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => events.subscribe(['deployment_success'], 'http') })
  try {
    const started = performance.now()
    const ctl = new AbortController()
    const res = await fetch(`http://127.0.0.1:${server.port}/v2/events?event_type=deployment_success`, { signal: ctl.signal })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    // Well below the 15 s heartbeat (generous for a loaded machine).
    expect(performance.now() - started).toBeLessThan(5000)
    ctl.abort()
  } finally {
    events.stop()
    server.stop(true)
  }
})
