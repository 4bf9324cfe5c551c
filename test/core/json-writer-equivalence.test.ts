// The v1 JSON writer (src/core/proto/json-writer.ts) writes the same bytes as the writer it replaced
// (json-writer-reference.ts): on a large GET_STATE-shaped state, on every message type of the schema filled with
// random values (seeded), and on the values that need care (integral and huge doubles, NaN, -0, empty and
// non-array repeated fields, nulls, keys the schema does not know, strings that look like its internal marker).

import { describe, expect, test } from 'bun:test'
import { message, protos } from '../../src/core/proto/index.ts'
import type { MessageType } from '../../src/core/proto/schema.ts'
import { toJsonElements, toJsonText } from '../../src/core/proto/json-writer.ts'
import { referenceJsonText } from './json-writer-reference.ts'
import { firstDifference, seededRandom as random } from '../helpers/equivalence.ts'

const DOUBLES = [0, -0, 1, -2, 0.1, 32, 4096, 1765000000.123, 1e21, 1.5e25, -1e22, 1e-7, 5e-324, 2 ** 53, NaN, Infinity, -Infinity, 0.30000000000000004]
const STRINGS = ['', 't', 'a "quoted" \\ name', 'ünïcödé ☃ 😀', '\u0000', '\u0000x', 'line\nbreak', '\ud800', '32.0', '"\\u0000', '#', '#00000000-0000-4000-8000-000000000000:1.0']

function valueOf(type: MessageType, rnd: () => number, depth: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
  const o: Record<string, unknown> = {}
  const scalar = (f: MessageType['fields'][number]): unknown => {
    if (f.kind === 'enum') return pick([...(f.enumType?.byName.keys() ?? ['X'])])
    if (f.kind === 'message') return f.message ? valueOf(f.message, rnd, depth + 1) : {}
    switch (f.type) {
      case 'double': case 'float': return rnd() < 0.1 ? pick(['1', null, true, { a: 1 }]) : pick(DOUBLES)
      case 'bool': return rnd() < 0.5
      case 'string': case 'bytes': return pick(STRINGS)
      default: return pick([0, 1, -5, 2 ** 40, 1765000000123000000])
    }
  }
  // Fields in a shuffled order: the writer must put them in schema order whatever order the object has.
  const fields = [...type.fields].sort(() => rnd() - 0.5)
  for (const f of fields) {
    if (rnd() < (depth > 3 ? 0.8 : 0.4)) continue
    if (f.kind === 'message' && depth > 5) continue
    const r = rnd()
    if (r < 0.05) { o[f.name] = null; continue }
    if (f.label === 'repeated') {
      if (r < 0.1) o[f.name] = []
      else if (r < 0.13) o[f.name] = scalar(f) // one value where an array belongs
      else o[f.name] = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => (rnd() < 0.05 ? null : scalar(f)))
    } else if (f.label === 'map') {
      const m: Record<string, unknown> = {}
      for (const k of ['b', '1', 'a', '__proto__'].slice(0, 1 + Math.floor(rnd() * 4))) m[k] = rnd() < 0.1 ? null : scalar(f)
      o[f.name] = m
    } else {
      o[f.name] = scalar(f)
    }
  }
  if (rnd() < 0.2) o.not_in_the_schema = { value: 1.0 }
  return o
}

describe('the writer and the reference writer agree', () => {
  test('every message type of the schema, random values (seeded)', () => {
    const rnd = random(18)
    let compared = 0
    for (const type of protos().messages.values()) {
      for (let i = 0; i < 5; i++) {
        const v = valueOf(type, rnd, 0)
        expect(toJsonText(type, v)).toBe(referenceJsonText(type, v))
        compared++
      }
      const list = Array.from({ length: 3 }, () => valueOf(type, rnd, 0))
      expect(toJsonElements(type, list)).toBe(list.map(v => referenceJsonText(type, v)).join(','))
    }
    expect(compared).toBeGreaterThan(500)
  })

  test('a GET_STATE of 20,000 tasks as the master stores them, and the same tasks as streamed slices', () => {
    const rnd = random(7)
    const fw = { value: 'f0a0b0c0-0000-4000-8000-000000000000-0000' }
    const agents = Array.from({ length: 200 }, (_, i) => ({ value: `a${i}-S${i}` }))
    const shared = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role: '*' } },
    ]
    const tasks = Array.from({ length: 20_000 }, (_, i) => {
      const task_id = { value: `t${i}` }
      const agent_id = agents[i % agents.length]!
      const container_id = { value: `c${i}` }
      const status = (state: string, extra: Record<string, unknown> = {}) => ({
        task_id, state, source: 'SOURCE_EXECUTOR', agent_id, executor_id: { value: `t${i}` }, timestamp: 1765000000 + (i % 7 === 0 ? i : i / 1000), uuid: `dXVpZA${i}==`,
        container_status: { container_id, network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '127.0.0.1' }] }] }, ...extra,
      })
      const task: Record<string, unknown> = {
        name: `t${i}`, task_id, framework_id: fw, agent_id, state: 'TASK_RUNNING', resources: shared,
        statuses: i % 10 === 0 ? [] : [status('TASK_STARTING'), status('TASK_RUNNING', { healthy: true })], user: 'root',
      }
      // Set after the others, as the master does: out of schema order in the object.
      if (i % 3 === 0) task.executor_id = { value: `e${i}` }
      if (i % 5 === 0) task.labels = { labels: [{ key: 'k', value: `v${i}` }] }
      if (i % 11 === 0) task.health_check = { type: 'COMMAND', delay_seconds: 15, interval_seconds: rnd() * 10, command: { value: 'true' } }
      if (i % 13 === 0) task.discovery = { visibility: 'FRAMEWORK', ports: { ports: [{ number: 8080, protocol: 'tcp' }] } }
      if (i % 17 === 0) task.resources = [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } }, { name: 'disk', type: 'SCALAR', scalar: { value: 1.5e25 }, disk: { persistence: { id: 'p' }, volume: { container_path: 'd', mode: 'RW' } } }]
      return task
    })
    const state = {
      type: 'GET_STATE',
      get_state: {
        get_tasks: { tasks: tasks.slice(0, 15_000), completed_tasks: tasks.slice(15_000), unreachable_tasks: [] },
        get_executors: { executors: [] },
        get_frameworks: { frameworks: [{ framework_info: { user: 'u', name: 'n', id: fw, failover_timeout: 0, checkpoint: false, roles: ['*'], capabilities: [{ type: 'MULTI_ROLE' }] }, active: true, connected: true, recovered: false, allocated_resources: shared }] },
        get_agents: { agents: agents.map(id => ({ agent_info: { hostname: 'h', id, port: 5051, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }] }, active: true, total_resources: shared, capabilities: [{ type: 'MULTI_ROLE' }] })) },
      },
    }
    const response = message('mesos.v1.master.Response')
    const text = toJsonText(response, state)
    expect(text.length).toBeGreaterThan(15_000_000)
    expect(firstDifference(text, referenceJsonText(response, state))).toBe(-1)
    const type = message('mesos.v1.Task')
    for (let i = 0; i < tasks.length; i += 100) {
      const slice = tasks.slice(i, i + 100)
      expect(firstDifference(toJsonElements(type, slice), slice.map(t => referenceJsonText(type, t)).join(','))).toBe(-1)
    }
  })

  test('doubles that need their own text, anywhere in a message', () => {
    const type = message('mesos.v1.Resource')
    for (const v of DOUBLES) {
      const r = { name: 'x', type: 'SCALAR', scalar: { value: v } }
      expect(toJsonText(type, r)).toBe(referenceJsonText(type, r))
    }
    expect(toJsonText(type, { scalar: { value: 32 } })).toBe('{"scalar":{"value":32.0}}')
    expect(toJsonText(type, { scalar: { value: -0 } })).toBe('{"scalar":{"value":0.0}}')
    expect(toJsonText(type, { scalar: { value: 1e21 } })).toBe('{"scalar":{"value":1e21}}')
  })
})
