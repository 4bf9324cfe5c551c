// The v0 JSON writer (src/core/json/v0-json.ts) writes the same bytes as the writer it replaced
// (v0-json-reference.ts): on documents of every view shape filled with random values (seeded), on the master's real
// views of a cluster, on the values that need care (integral, huge and negative-zero doubles, doubles that are not
// numbers, empty and non-array repeated fields, keys the shapes do not name, strings that look like the marker), and
// in the error it raises for NaN and infinities.

import { describe, expect, test } from 'bun:test'
import { arrayOf, dictOf, DOUBLE, objectOf, RESOURCES, v0Elements, v0Writer, type Shape } from '../../src/core/json/v0-json.ts'
import { message } from '../../src/core/proto/index.ts'
import type { MessageType } from '../../src/core/proto/schema.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { rolesV0, slavesV0, stateSummaryV0, stateV0, tasksV0, V0_SHAPES } from '../../src/master/views-v0.ts'
import { v0Writer as referenceWriter } from './v0-json-reference.ts'
import { firstDifference, seededRandom as random } from '../helpers/equivalence.ts'

const DOUBLES = [0, -0, 1, -2, 0.1, 0.5, 32, 1023, 1024, 4096, -1024, 2 ** 31, 1765000000.123, 1765000000, 1e20, 1e21, 1.5e25, -1e22, 1e-7, 5e-324, 2 ** 53, 2 ** 53 + 2, 0.30000000000000004]
const STRINGS = ['', 't', 'a "quoted" \\ name', 'ünïcödé ☃ 😀', '\u0000', 'line\nbreak', '\ud800', '32.0', '[31000-32000]', '#', '#00000000-0000-4000-8000-000000000000:1.0', '"#x:1.0"']
const KEYS = ['cpus', 'mem', 'disk', 'gpus', 'ports', 'web', 'a/b', '0', '17', 'ünï', 'with "quote"', '']

type Rnd = () => number
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!

/** A value JSON.stringify writes as it is (no shape below): strings, integers, fractions, nested plain objects. */
function plainValue(rnd: Rnd, depth: number): unknown {
  const r = rnd()
  if (r < 0.3) return pick(rnd, STRINGS)
  if (r < 0.5) return pick(rnd, [0, 7, -3, 5051, 2 ** 40, 0.25, NaN, Infinity])
  if (r < 0.6) return rnd() < 0.5
  if (r < 0.65) return null
  if (r < 0.68) return undefined
  if (depth > 2) return 'deep'
  if (r < 0.84) return Array.from({ length: Math.floor(rnd() * 3) }, () => plainValue(rnd, depth + 1))
  return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 3) }, () => [pick(rnd, KEYS), plainValue(rnd, depth + 1)]))
}

/** A declared double: mostly a number, sometimes what a loose object holds instead. */
const doubleValue = (rnd: Rnd): unknown => {
  const r = rnd()
  // Rarely NaN or an infinity: the writer throws, naming where (compared as the error's message).
  if (r < 0.004) return pick(rnd, [NaN, Infinity, -Infinity])
  return r < 0.12 ? pick(rnd, ['1', null, undefined, true, { a: 1 }, [2]]) : pick(rnd, DOUBLES)
}

/** A message of `type` in meso's plain-object form, fields in a shuffled order, with keys the schema does not know. */
function messageValue(type: MessageType, rnd: Rnd, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  const one = (f: MessageType['fields'][number]): unknown => {
    if (f.kind === 'enum') return pick(rnd, [...(f.enumType?.byName.keys() ?? ['X'])])
    if (f.kind === 'message') return f.message ? messageValue(f.message, rnd, depth + 1) : {}
    if (f.type === 'double' || f.type === 'float') return doubleValue(rnd)
    if (f.type === 'bool') return rnd() < 0.5
    if (f.type === 'string' || f.type === 'bytes') return pick(rnd, STRINGS)
    return pick(rnd, [0, 1, -5, 2 ** 40])
  }
  for (const f of [...type.fields].sort(() => rnd() - 0.5)) {
    if (rnd() < (depth > 2 ? 0.8 : 0.4)) continue
    if (f.kind === 'message' && depth > 4) continue
    const r = rnd()
    if (r < 0.05) { o[f.name] = null; continue }
    if (f.label === 'repeated') {
      if (r < 0.15) o[f.name] = []
      else if (r < 0.2) o[f.name] = one(f) // one value where an array belongs
      else o[f.name] = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => (rnd() < 0.05 ? null : one(f)))
    } else if (f.label === 'map') {
      o[f.name] = Object.fromEntries(Array.from({ length: Math.floor(rnd() * 3) }, () => [pick(rnd, KEYS), one(f)]))
    } else {
      o[f.name] = one(f)
    }
  }
  if (rnd() < 0.2) o.not_in_schema = plainValue(rnd, 1)
  return o
}

/** A value of `shape`: the declared keys (some missing, some of another kind) among plain ones, in a random order. */
function shapedValue(shape: Shape, rnd: Rnd, depth = 0): unknown {
  if (depth > 8) return null
  // Now and then a value that is not what the shape declares: written as JSON.stringify writes it.
  if (shape.kind !== 'plain' && rnd() < 0.04) return plainValue(rnd, 2)
  switch (shape.kind) {
    case 'plain': return plainValue(rnd, 0)
    case 'double': return doubleValue(rnd)
    case 'array': return Array.from({ length: Math.floor(rnd() * 4) }, () => shapedValue(shape.of, rnd, depth + 1))
    case 'dict': {
      const o: Record<string, unknown> = {}
      for (let n = Math.floor(rnd() * 5); n > 0; n--) o[pick(rnd, KEYS)] = shapedValue(shape.of, rnd, depth + 1)
      return o
    }
    case 'object': {
      const keys = [...Object.keys(shape.fields), 'id', 'name', 'port', 'active', 'nested'].sort(() => rnd() - 0.5)
      const o: Record<string, unknown> = {}
      for (const k of keys) {
        if (rnd() < 0.2) continue
        const field = shape.fields[k]
        o[k] = field ? shapedValue(field, rnd, depth + 1) : plainValue(rnd, 1)
      }
      return o
    }
    case 'message': return messageValue(message(shape.type), rnd, 0)
  }
}

const SHAPES: Record<string, Shape> = {
  ...V0_SHAPES,
  metrics: dictOf(DOUBLE),
  version: objectOf({ build_time: DOUBLE }),
  resources: RESOURCES,
  doubles: arrayOf(DOUBLE),
  nested: dictOf(arrayOf(dictOf(DOUBLE))),
}

/** The writer's text, or the message of what it threw. */
function attempt(write: (v: unknown) => string, value: unknown): string {
  try {
    return write(value)
  } catch (e) {
    return `threw: ${(e as Error).message}`
  }
}

describe('the v0 writer and the reference writer agree', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    test(`${name}: random documents (seeded)`, () => {
      const write = v0Writer(shape)
      const reference = referenceWriter(shape)
      const elements = v0Elements(shape)
      for (let seed = 1; seed <= 150; seed++) {
        const rnd = random(seed * 7919 + name.length)
        const value = shapedValue(shape, rnd)
        const got = attempt(write, value)
        expect(firstDifference(got, attempt(reference, value))).toBe(-1)
        if (seed % 10 === 0) {
          // As the elements of a streamed slice: the texts of each, joined with commas.
          const list = [value, shapedValue(shape, rnd), shapedValue(shape, rnd)]
          const each = list.map(v => attempt(reference, v))
          if (!each.some(t => t.startsWith('threw: '))) expect(elements.elements(list)).toBe(each.join(','))
        }
      }
    })
  }

  test('NaN and infinities where a double is declared: the same error, with where it sits', () => {
    const shape = V0_SHAPES.state
    const doc = { slaves: [{ id: 's' }, { id: 's2', resources: { cpus: 1, mem: NaN } }], frameworks: [] }
    expect(attempt(v0Writer(shape), doc)).toBe("threw: v0 JSON: NaN at 'slaves[1].resources.mem' has no JSON form (Mesos refuses it as well)")
    expect(attempt(v0Writer(shape), doc)).toBe(attempt(referenceWriter(shape), doc))
    const task = { statuses: [{ state: 'TASK_RUNNING', timestamp: -Infinity }] }
    expect(attempt(v0Writer(V0_SHAPES.task), task)).toBe(attempt(referenceWriter(V0_SHAPES.task), task))
  })

  test("a map's own __proto__ key is written as a key", () => {
    const value = JSON.parse('{"cpus":1,"__proto__":2,"mem":3}')
    expect(v0Writer(RESOURCES)(value)).toBe('{"cpus":1.0,"__proto__":2.0,"mem":3.0}')
    expect(v0Writer(RESOURCES)(value)).toBe(referenceWriter(RESOURCES)(value))
  })

  test('a resources object shared by many tasks is written as it is at each write', () => {
    const shared: Record<string, unknown> = { cpus: 0.5, mem: 64 }
    const doc = { tasks: [{ id: 'a', resources: shared }, { id: 'b', resources: shared }] }
    const write = v0Writer(V0_SHAPES.tasks)
    expect(write(doc)).toBe('{"tasks":[{"id":"a","resources":{"cpus":0.5,"mem":64.0}},{"id":"b","resources":{"cpus":0.5,"mem":64.0}}]}')
    shared.mem = 128
    shared.disk = 0
    expect(write(doc)).toBe(referenceWriter(V0_SHAPES.tasks)(doc))
    expect(write(doc)).toContain('"mem":128.0,"disk":0.0')
  })

  test('objects with no double below are handed to JSON.stringify as they are, not copied', () => {
    const value = { id: 'x', resources: { ports: '[1-2]' }, statuses: [{ state: 'TASK_RUNNING' }] }
    expect(v0Writer(V0_SHAPES.task)(value)).toBe(JSON.stringify(value))
  })

  test("the master's views of a cluster", () => {
    const h = new MasterHarness()
    for (let i = 0; i < 30; i++) {
      const { agent } = h.registerAgent('cpus:8;mem:16384;disk:100000;ports:[31000-32000];cpus(web):2;mem(web):1024', `agent-${i}.example`)
      agent.info.attributes = [{ name: 'rack', type: 'TEXT', text: { value: `r${i % 4}` } }, { name: 'zone', type: 'SCALAR', scalar: { value: i % 3 } }]
    }
    const { agent } = h.registerAgent('cpus:1.5;mem:100', 'odd.example')
    const { framework: fw } = h.subscribe({ name: 'bench', failover_timeout: 0.5, roles: ['*'] })
    let n = 0
    h.allocate()
    for (const o of h.offersFor(fw).slice(0, 20)) {
      h.launch(fw, o, [{
        name: `t${n}`, task_id: { value: `t${n++}` },
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: n % 2 ? 0.5 : 1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }],
        health_check: { type: 'COMMAND', command: { value: 'true' }, delay_seconds: 5, interval_seconds: 2.5 },
      }])
    }
    h.status(agent, fw, 't0', 'TASK_RUNNING')
    const m = h.state
    const docs: [Shape, unknown][] = [
      [V0_SHAPES.state, stateV0(m)], [V0_SHAPES.slaves, slavesV0(m, null)], [V0_SHAPES.stateSummary, stateSummaryV0(m)],
      [V0_SHAPES.tasks, tasksV0(m, new URLSearchParams())], [V0_SHAPES.roles, rolesV0(m)],
    ]
    for (const [shape, doc] of docs) expect(firstDifference(v0Writer(shape)(doc), referenceWriter(shape)(doc))).toBe(-1)
  })
})
