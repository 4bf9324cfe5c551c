import { describe, expect, test } from 'bun:test'
import { message } from '../../src/core/proto/index.ts'
import { fromJson, ProtoJsonError } from '../../src/core/proto/json.ts'
import { decodeMessage, encodeMessage } from '../../src/core/proto/binary.ts'

const Call = message('mesos.v1.scheduler.Call')

describe('stout JSON rules', () => {
  test('protobufjs-style input with nulls normalizes like Mesos', () => {
    const input = { framework_id: null, type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'x', role: '*', id: null, failover_timeout: 604800, capabilities: [], labels: null } }, accept: null, kill: null }
    const out = fromJson(Call, input)
    expect(JSON.stringify(out)).toBe('{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"x","failover_timeout":604800,"checkpoint":false,"role":"*"}}}')
  })
  test('missing required fields are listed with their path', () => {
    expect(() => fromJson(Call, { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u' } } }))
      .toThrow('Missing required fields: subscribe.framework_info.name')
  })
  test('enums: names only, unknown optional values dropped', () => {
    expect(() => fromJson(Call, { type: 3 })).toThrow(ProtoJsonError)
    expect(fromJson(Call, { type: 'NO_SUCH_CALL' })).toEqual({})
  })
  test('numbers as strings, bare value for repeated, unknown keys ignored', () => {
    const out = fromJson(Call, { type: 'DECLINE', framework_id: { value: 'f' }, bogus: 1, decline: { offer_ids: { value: 'o1' }, filters: { refuse_seconds: '3600' } } })
    expect(out.decline).toEqual({ offer_ids: [{ value: 'o1' }], filters: { refuse_seconds: 3600 } })
  })
  test('type mismatches are errors', () => {
    expect(() => fromJson(Call, { type: 'KILL', kill: { task_id: 'x' } })).toThrow("Not expecting a JSON string for field 'task_id'")
    expect(() => fromJson(Call, [])).toThrow('Expecting a JSON object')
  })
  test('bytes must be base64', () => {
    const ack = { type: 'ACKNOWLEDGE', framework_id: { value: 'f' }, acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: 'not base64!' } }
    expect(() => fromJson(Call, ack)).toThrow(ProtoJsonError)
  })
})

describe('protobuf binary', () => {
  test('round-trips a scheduler call through the wire format', () => {
    const call = fromJson(Call, {
      type: 'ACCEPT', framework_id: { value: 'F-0000' },
      accept: { offer_ids: [{ value: 'O1' }], operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 't', task_id: { value: 't1' }, agent_id: { value: 'S0' },
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } }],
        command: { value: 'echo hi', environment: { variables: [{ name: 'A', value: 'b' }] } }, data: 'aGk=' }] } }], filters: { refuse_seconds: 1.5 } },
    })
    const bytes = encodeMessage(Call, call)
    expect(decodeMessage(Call, bytes)).toEqual(call)
  })
  test('negative int32 and 64-bit values survive', () => {
    const Status = message('mesos.v1.TaskStatus')
    const s = { task_id: { value: 't' }, state: 'TASK_FAILED', timestamp: 1700000000.123, unreachable_time: { nanoseconds: 1700000000123456000 } }
    expect(decodeMessage(Status, encodeMessage(Status, s))).toEqual(s)
    const Wait = message('mesos.v1.agent.Response.WaitContainer')
    expect(decodeMessage(Wait, encodeMessage(Wait, { exit_status: -1 }))).toEqual({ exit_status: -1 })
  })
})
