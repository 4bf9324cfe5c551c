// Large state answers go out in slices (src/master/json-stream.ts); clients must get exactly the bytes
// JSON.stringify would have produced.

import { expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { compressResponse } from '../../src/core/http/compression.ts'
import { JsonStream, STREAM_MIN_ELEMENTS, TURN_BUDGET_MS } from '../../src/master/json-stream.ts'

const task = (i: number) => ({ task_id: { value: `t-${i}` }, state: i % 3 ? 'TASK_RUNNING' : 'TASK_FINISHED', name: `naïve "task" ${i}\n€`, n: i, none: undefined })

test('a document with small, boundary-sized and large arrays is byte-identical to JSON.stringify', async () => {
  for (const size of [0, 1, STREAM_MIN_ELEMENTS - 1, STREAM_MIN_ELEMENTS, STREAM_MIN_ELEMENTS + 1, 12_345]) {
    const tasks = Array.from({ length: size }, (_, i) => task(i))
    const agents = Array.from({ length: 7_001 }, (_, i) => ({ id: `a${i}` }))
    const js = new JsonStream()
    const doc = {
      type: 'GET_STATE',
      get_state: { get_tasks: { tasks: js.array(tasks), completed: js.array(tasks, t => ({ id: t.task_id.value, gone: undefined })) }, agents: js.array(agents), empty: [] },
    }
    const expected = JSON.stringify({
      type: 'GET_STATE',
      get_state: { get_tasks: { tasks, completed: tasks.map(t => ({ id: t.task_id.value, gone: undefined })) }, agents, empty: [] },
    })
    const res = js.response(doc, { 'Content-Type': 'application/json' })
    expect(res.headers.get('content-type')).toBe('application/json')
    const text = await res.text()
    expect(text.length).toBe(expected.length)
    expect(text === expected).toBe(true)
    expect(js.streaming).toBe(true) // agents always streams
  }
})

test('JSONP wrapping and answers with nothing to stream', async () => {
  const tasks = Array.from({ length: STREAM_MIN_ELEMENTS * 2 }, (_, i) => task(i))
  const js = new JsonStream()
  const text = await js.response({ tasks: js.array(tasks) }, {}, { before: 'cb(', after: ');' }).text()
  expect(text).toBe(`cb(${JSON.stringify({ tasks })});`)
  const small = new JsonStream()
  expect(await small.response({ tasks: small.array([task(1)]) }, {}).text()).toBe(JSON.stringify({ tasks: [task(1)] }))
  expect(small.streaming).toBe(false)
})

test('a string that looks like the placeholder is not replaced', async () => {
  const tasks = Array.from({ length: STREAM_MIN_ELEMENTS }, (_, i) => task(i))
  const js = new JsonStream()
  const sneaky = '\u0000deadbeef:0\u0000'
  const text = await js.response({ sneaky, tasks: js.array(tasks) }, {}).text()
  expect(text).toBe(JSON.stringify({ sneaky, tasks }))
})

test('while a large answer is written, the event loop keeps turning: other work runs between slices', async () => {
  const tasks = Array.from({ length: 60_000 }, (_, i) => task(i))
  const js = new JsonStream()
  const res = js.response({ tasks: js.array(tasks) }, {})
  // A socket that takes every slice at once never makes the writer wait: only the turn budget gives the loop back.
  let turns = 0
  let longest = 0
  let last = performance.now()
  let done = false
  const tick = () => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
    turns++
    if (!done) setImmediate(tick)
  }
  setImmediate(tick)
  const t0 = performance.now()
  const text = await res.text()
  const ms = performance.now() - t0
  done = true
  expect(text === JSON.stringify({ tasks })).toBe(true)
  // 60k tasks take tens of milliseconds to serialise at least; in turns of ~5 ms the loop comes round many times.
  expect(turns).toBeGreaterThan(Math.min(10, ms / (TURN_BUDGET_MS * 4)))
  expect(longest).toBeLessThan(Math.max(50, ms / 2))
})

test('a sliced answer gzip-encoded for a client that accepts it decompresses to the same bytes', async () => {
  const tasks = Array.from({ length: STREAM_MIN_ELEMENTS + 77 }, (_, i) => task(i))
  const js = new JsonStream()
  const res = await compressResponse(new Request('http://m/state', { headers: { 'Accept-Encoding': 'gzip' } }), js.response({ tasks: js.array(tasks) }, { 'Content-Type': 'application/json' }))
  expect(res.headers.get('content-encoding')).toBe('gzip')
  const raw = new Uint8Array(await res.arrayBuffer())
  const plain = JSON.stringify({ tasks })
  expect(raw.byteLength).toBeLessThan(plain.length / 4)
  expect(gunzipSync(raw).toString('utf8') === plain).toBe(true)
})

test('minElements streams a short array of costly elements, mapped only when written', async () => {
  let mapped = 0
  const frameworks = [{ id: 'f1' }, { id: 'f2' }]
  const js = new JsonStream()
  const doc = { frameworks: js.array(frameworks, f => { mapped++; return { ...f, used: 1.5 } }, undefined, 1), none: js.array([], undefined, undefined, 1) }
  expect(js.streaming).toBe(true)
  expect(mapped).toBe(0)
  const text = await js.response(doc, {}).text()
  expect(mapped).toBe(2)
  expect(text).toBe(JSON.stringify({ frameworks: frameworks.map(f => ({ ...f, used: 1.5 })), none: [] }))
})
