import { describe, expect, test } from 'bun:test'
import { DEFAULT_JSON_LIMITS } from '../../src/core/proto/json.ts'
import { decodeBody } from '../../src/core/v1/codec.ts'
import { readAcknowledgeCall } from '../../src/master/acknowledge-call.ts'
import { validateSchedulerCall } from '../../src/master/validation/scheduler-call.ts'

const ack = (over: Record<string, unknown> = {}, ackOver: Record<string, unknown> = {}) => ({
  type: 'ACKNOWLEDGE',
  framework_id: { value: 'f1-0000' },
  acknowledge: { agent_id: { value: 'f1-S0' }, task_id: { value: 'task "1" é' }, uuid: 'q83vEjRWeJCrze8SNFZ4kA==', ...ackOver },
  ...over,
})

const full = (text: string) => decodeBody<unknown>('mesos.v1.scheduler.Call', 'json', new TextEncoder().encode(text))

describe('readAcknowledgeCall', () => {
  test('reads what the full reader reads, for the shape clients write, in any key order', () => {
    const texts = [
      JSON.stringify(ack()),
      JSON.stringify({ framework_id: { value: 'F' }, acknowledge: { uuid: 'AAAAAAAAAAAAAAAAAAAAAA==', task_id: { value: 't' }, agent_id: { value: 'S' } }, type: 'ACKNOWLEDGE' }),
      JSON.stringify(ack({}, { task_id: { value: '\u2028 \ud800 \u0000' } })),
    ]
    for (const text of texts) {
      const fast = readAcknowledgeCall(text, DEFAULT_JSON_LIMITS)
      expect(fast).toBeDefined()
      expect(fast as unknown).toEqual(full(text))
      expect(validateSchedulerCall(fast)).toBeUndefined()
    }
  })

  test('leaves everything else to the full reader', () => {
    const texts = [
      JSON.stringify({ type: 'DECLINE', framework_id: { value: 'F' }, decline: { offer_ids: [] } }),
      // not byte for byte what JSON.stringify writes: whitespace, a duplicate key, an escape written differently
      JSON.stringify(ack(), null, 1),
      JSON.stringify(ack()).replace('"type":"ACKNOWLEDGE"', '"type":"KILL","type":"ACKNOWLEDGE"'),
      JSON.stringify(ack()).replace('task', '\\u0074ask'),
      // fields beyond an ACKNOWLEDGE's, or missing, or of another type
      JSON.stringify(ack({ extra: 1 })),
      JSON.stringify(ack({}, { extra: null })),
      JSON.stringify(ack({ framework_id: { value: 'F', x: 1 } })),
      JSON.stringify(ack({ framework_id: { value: 5 } })),
      JSON.stringify(ack({}, { agent_id: undefined })),
      JSON.stringify(ack({ framework_id: null })),
      // a uuid the full reader or the validation refuses, or one that is not 16 bytes
      JSON.stringify(ack({}, { uuid: 'q83vEjRWeJCrze8SNFZ4kA' })),
      JSON.stringify(ack({}, { uuid: 'q83v*jRWeJCrze8SNFZ4kA==' })),
      JSON.stringify(ack({}, { uuid: 'AAAA' })),
      JSON.stringify(ack({}, { uuid: 7 })),
      '{"type":"ACKNOWLEDGE"',
      'null',
    ]
    for (const text of texts) expect(readAcknowledgeCall(text, DEFAULT_JSON_LIMITS)).toBeUndefined()
  })

  test('a body the JSON limits could refuse is not read here', () => {
    const text = JSON.stringify(ack())
    expect(readAcknowledgeCall(text, { ...DEFAULT_JSON_LIMITS, maxDepth: 2 })).toBeUndefined()
    expect(readAcknowledgeCall(text, { ...DEFAULT_JSON_LIMITS, maxEntries: 2 })).toBeUndefined()
    expect(readAcknowledgeCall(text, { ...DEFAULT_JSON_LIMITS, maxStringLength: 10 })).toBeUndefined()
    expect(readAcknowledgeCall(JSON.stringify(ack({}, { task_id: { value: 'x'.repeat(3000) } })), DEFAULT_JSON_LIMITS)).toBeUndefined()
  })
})
