// JSON as Mesos writes it (src/core/proto/json-writer.ts; upstream stout jsonify over rapidjson).

import { describe, expect, test } from 'bun:test'
import { message } from '../../src/core/proto/index.ts'
import { formatDouble, toJsonText } from '../../src/core/proto/json-writer.ts'
import { encodeBody } from '../../src/core/v1/codec.ts'

describe('doubles', () => {
  test('an integral double keeps a fraction; others are the shortest round-trip text, exponents without +', () => {
    expect(formatDouble(1)).toBe('1.0')
    expect(formatDouble(0)).toBe('0.0')
    expect(formatDouble(-2)).toBe('-2.0')
    expect(formatDouble(4096)).toBe('4096.0')
    expect(formatDouble(0.1)).toBe('0.1')
    expect(formatDouble(1765000000.123)).toBe('1765000000.123')
    expect(formatDouble(1e21)).toBe('1e21')
    expect(formatDouble(1.5e25)).toBe('1.5e25')
    expect(formatDouble(1e-7)).toBe('1e-7')
    expect(formatDouble(NaN)).toBe('null')
  })
})

describe('messages', () => {
  test('resources, task status timestamps and framework failover timeouts are doubles; ints stay ints', () => {
    const event = {
      type: 'UPDATE',
      update: { status: { task_id: { value: 't' }, state: 'TASK_RUNNING', timestamp: 1765000000, unreachable_time: { nanoseconds: 1765000000123000000 } } },
    }
    expect(encodeBody('mesos.v1.scheduler.Event', 'json', event)).toBe(
      '{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","timestamp":1765000000.0,"unreachable_time":{"nanoseconds":1765000000123000000}}}}',
    )
    const offer = {
      type: 'OFFERS',
      offers: { offers: [{ id: { value: 'o' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, hostname: 'h', resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
        { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } },
      ] }] },
    }
    expect(encodeBody('mesos.v1.scheduler.Event', 'json', offer)).toContain('"scalar":{"value":2.0}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]}}')
    const fw = toJsonText(message('mesos.v1.FrameworkInfo'), { user: 'u', name: 'n', failover_timeout: 0, checkpoint: false })
    expect(fw).toBe('{"user":"u","name":"n","failover_timeout":0.0,"checkpoint":false}')
  })

  test('empty repeated fields are left out; fields come in schema order; unknown keys are dropped as protobuf drops them', () => {
    const task = { name: 't', statuses: [], task_id: { value: 't' }, resources: [], framework_id: { value: 'f' }, agent_id: { value: 'a' }, state: 'TASK_RUNNING', meso_private: 1 }
    expect(toJsonText(message('mesos.v1.Task'), task)).toBe('{"name":"t","task_id":{"value":"t"},"framework_id":{"value":"f"},"agent_id":{"value":"a"},"state":"TASK_RUNNING"}')
  })

  test('maps of messages and a GET_STATE-shaped response', () => {
    const roles = toJsonText(message('mesos.v1.scheduler.OfferConstraints'), { role_constraints: { r: { groups: [{ attribute_constraints: [] }] } } })
    expect(roles).toBe('{"role_constraints":{"r":{"groups":[{}]}}}')
    const state = {
      type: 'GET_STATE',
      get_state: { get_tasks: { tasks: [], completed_tasks: [] }, get_agents: { agents: [{ agent_info: { hostname: 'h', resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 1024 } }] }, active: true }] } },
    }
    expect(encodeBody('mesos.v1.master.Response', 'json', state)).toBe(
      '{"type":"GET_STATE","get_state":{"get_tasks":{},"get_agents":{"agents":[{"agent_info":{"hostname":"h","resources":[{"name":"mem","type":"SCALAR","scalar":{"value":1024.0}}]},"active":true}]}}}',
    )
  })
})

describe('streamed v1 answers (src/master/json-stream.ts)', () => {
  test('a GET_TASKS of 6,000 tasks, written in slices, reads as the unstreamed one does: doubles with a fraction', async () => {
    const { JsonStream, STREAM_MIN_ELEMENTS } = await import('../../src/master/json-stream.ts')
    const task = (i: number) => ({ name: `t${i}`, task_id: { value: `t${i}` }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, state: 'TASK_RUNNING', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], statuses: [] })
    const tasks = Array.from({ length: STREAM_MIN_ELEMENTS + 1000 }, (_, i) => task(i))
    const type = message('mesos.v1.master.Response')
    const js = new JsonStream(doc => toJsonText(type, doc))
    const doc = { type: 'GET_TASKS', get_tasks: { tasks: js.array(tasks, undefined, t => toJsonText(message('mesos.v1.Task'), t)), completed_tasks: [] } }
    const streamed = await js.response(doc, {}).text()
    expect(js.streaming).toBe(true)
    expect(streamed).toBe(toJsonText(type, { type: 'GET_TASKS', get_tasks: { tasks } }))
    expect(streamed).toContain('{"name":"t5999","task_id":{"value":"t5999"},"framework_id":{"value":"f"},"agent_id":{"value":"a"},"state":"TASK_RUNNING","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}}]}')
  })
})
