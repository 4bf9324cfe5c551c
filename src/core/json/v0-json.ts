// Writing the v0 endpoints' JSON (`/master/state`, `/state`, `/monitor/statistics`, `/metrics/snapshot`, …) as Mesos
// writes it: stout's jsonify over rapidjson, where a C++ `double` always prints with a fraction (`"cpus":1.0`,
// `"registered_time":1700000000.0`) and an integer never does. JavaScript has one number type, so which value is a
// double cannot be told from the value: a view declares it with a Shape (which keys of which objects hold doubles, and
// which hold protobuf messages, whose double fields the schema names). Everything a shape does not name is written
// exactly as JSON.stringify writes it, so counts, pids, ports and ids stay integers, and key order is the view's own.
//
// Doubles are written as rapidjson writes them (formatDouble, src/core/proto/json-writer.ts: `1.0`, `0.5`, `1e25`).
// NaN and ±Infinity have no JSON form; rapidjson refuses them and Mesos aborts on the failed CHECK. Here the writer
// throws a NonFiniteDouble naming where in the document the value sits, so the endpoint answers 500 with that path
// instead of a `null` that a client would read as a missing field.
//
// How (the v1 writer's technique, src/core/proto/json-writer.ts): each shape gets a function, compiled once, that
// turns a value into what one native JSON.stringify should see. Only the declared doubles change: an integral one
// becomes a string with the v1 writer's secret marker (`"<marker>32.0"`), which one pass over the text afterwards
// (`mend`) turns into `32.0`; a fraction is left a number, which JSON.stringify already writes as rapidjson does. An
// object is copied (shallowly) only when one of its shaped keys changes, so subtrees with no double are handed over
// by reference. Speed: see bench/v0-json.ts and docs/master.md ("Doubles in v0 answers").

import { formatDouble, markedDouble, markedText, mend } from '../proto/json-writer.ts'
import { message } from '../proto/index.ts'
import type { MessageType } from '../proto/schema.ts'

/** What a value in a v0 document is; build with the constants and functions below, write with `v0Writer`. */
export type Shape =
  | { readonly kind: 'plain' }
  | { readonly kind: 'double' }
  | { readonly kind: 'array'; readonly of: Shape }
  | { readonly kind: 'dict'; readonly of: Shape }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Shape>> }
  | { readonly kind: 'message'; readonly type: string }

/** As JSON.stringify writes it (strings, booleans, integers, and objects with no double below). */
export const PLAIN: Shape = { kind: 'plain' }
/** A C++ double: a number is written with a fraction; a string (a range, a set) or anything else as JSON.stringify does. */
export const DOUBLE: Shape = { kind: 'double' }
/** An array whose elements are `of`. */
export const arrayOf = (of: Shape): Shape => ({ kind: 'array', of })
/** An object whose every value is `of`, whatever its keys (roles, resource names, metric names). */
export const dictOf = (of: Shape): Shape => ({ kind: 'dict', of })
/** An object with these keys shaped; its other keys are PLAIN. */
export const objectOf = (fields: Record<string, Shape>): Shape => ({ kind: 'object', fields })
/**
 * A protobuf message in meso's plain-object form (`JSON::Protobuf(…)` upstream), by full name (`mesos.v1.HealthCheck`):
 * its double and float fields are doubles and its empty repeated fields are left out, as stout writes a message.
 * Keys the schema does not know are kept, written as JSON.stringify writes them.
 */
export const messageOf = (type: string): Shape => ({ kind: 'message', type })

/** Flattened resources (`{"cpus":1.0,"mem":128.0,"ports":"[31000-31005]"}`): every number is a scalar's double. */
export const RESOURCES: Shape = dictOf(DOUBLE)

/** A NaN or an infinity where a double was declared; `path` says where (`slaves[3].resources.cpus`). */
export class NonFiniteDouble extends Error {
  readonly path: (string | number)[] = []
  constructor(readonly value: number) {
    super(NonFiniteDouble.describe(value, []))
  }

  /** One step further out: the key or index that holds what `path` names so far. */
  within(at: string | number): this {
    this.path.unshift(at)
    this.message = NonFiniteDouble.describe(this.value, this.path)
    return this
  }

  private static describe(value: number, path: (string | number)[]): string {
    let where = ''
    for (const p of path) where += typeof p === 'number' ? `[${p}]` : where ? `.${p}` : p
    return `v0 JSON: ${value} at '${where || '(top level)'}' has no JSON form (Mesos refuses it as well)`
  }
}

/** What JSON.stringify should see for a value: the value itself where nothing below it changes. */
type Shaper = (v: unknown) => unknown

interface Plan {
  /** Nothing below needs more than JSON.stringify. */
  plain: boolean
  shape: Shaper
}

const J = JSON.stringify as (v: unknown) => string | undefined

/** A double as rapidjson writes it; throws NonFiniteDouble for NaN and ±Infinity. */
export function doubleText(v: number): string {
  if (v - v !== 0) throw new NonFiniteDouble(v)
  // The common case (whole quantities and seconds) without formatDouble's string inspection.
  if (Number.isInteger(v) && v < 1e21 && v > -1e21) return v === 0 && 1 / v < 0 ? '-0.0' : v + '.0'
  return formatDouble(v)
}

/**
 * Marked numbers put into shapes so far (a 32-bit count that wraps): a text is mended only when its shape added
 * some. An object, so that generated code can count too.
 */
const MARKS = { n: 0 }
/** The marked texts of the small whole doubles (counts of CPUs, zero quantities), at hand without a lookup. */
const SMALL_DOUBLES = 1024
const SMALL_MARKED = Array.from({ length: SMALL_DOUBLES }, (_, i) => markedText(i + '.0'))
const NEGATIVE_ZERO = markedText('-0.0')

/** A declared double that is a number, as JSON.stringify should see it: marked when integral, else as it is. */
function shapeDouble(v: number): unknown {
  if (Number.isInteger(v)) {
    MARKS.n = (MARKS.n + 1) | 0
    if (v >= 0 && v < SMALL_DOUBLES) return v === 0 && 1 / v < 0 ? NEGATIVE_ZERO : SMALL_MARKED[v]
    return markedDouble(v)
  }
  if (v - v !== 0) throw new NonFiniteDouble(v)
  // A fraction: JSON.stringify writes the shortest text that reads back, as rapidjson does.
  return v
}

/** Adds where the failure happened, innermost first, as the error travels out. */
const located = (e: unknown, at: string | number): unknown => (e instanceof NonFiniteDouble ? e.within(at) : e)

const PLAIN_PLAN: Plan = { plain: true, shape: v => v }
const DOUBLE_PLAN: Plan = { plain: false, shape: v => (typeof v === 'number' ? shapeDouble(v) : v) }

/** The expression for the shape of `x`, a value of `plan`, where `ref()` names `plan` in generated code. */
function valueCode(plan: Plan, ref: () => string): string {
  if (plan === DOUBLE_PLAN) return `typeof x === 'number' ? D(x) : x`
  return `${ref()}.shape(x)`
}

/**
 * An array of `of`; with `single`, a value that is not an array is one `of` (a repeated protobuf field, loosely
 * held). The array is copied only when an element's shape differs from the element.
 */
function arrayPlan(of: Plan, single = false): Plan {
  if (of.plain) return PLAIN_PLAN
  return {
    plain: false,
    shape: v => {
      if (!Array.isArray(v)) return single ? of.shape(v) : v
      let out = v
      let i = 0
      try {
        for (; i < v.length; i++) {
          const x = v[i]
          const t = of.shape(x)
          if (t !== x) {
            if (out === v) out = v.slice()
            out[i] = t
          }
        }
      } catch (e) { throw located(e, i) }
      return out
    },
  }
}

/**
 * Which write is under way: what a plan remembers from one value to the next holds for one write only, during which
 * nothing changes the document.
 */
let writing = 0

/**
 * An object whose every value is `of` (resource names, roles, metrics), copied when a value changes. Tasks of one
 * shape share one flattened resources object (src/master/resource-lists.ts), so the last one shaped is remembered.
 */
function dictPlan(of: Plan): Plan {
  if (of.plain) return PLAIN_PLAN
  const double = of === DOUBLE_PLAN
  let lastWrite = -1
  let lastIn: unknown
  let lastOut: unknown
  return {
    plain: false,
    shape: v => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
      // Its marks were counted when it was shaped, earlier in this write.
      if (v === lastIn && lastWrite === writing) return lastOut
      let out = v as Record<string, unknown>
      let k = ''
      try {
        for (k in v) {
          const x = (v as Record<string, unknown>)[k]
          const t = double ? (typeof x === 'number' ? shapeDouble(x) : x) : of.shape(x)
          if (t !== x) {
            // The copy's keys are its own data properties: assigning `__proto__` sets that key, not the prototype.
            if (out === v) out = { ...v }
            out[k] = t
          }
        }
      } catch (e) { throw located(e, k) }
      lastWrite = writing
      lastIn = v
      lastOut = out
      return out
    },
  }
}

/**
 * An object with the keys in `fields` shaped by their plans and every other key left as it is; `omitEmpty` names
 * repeated protobuf fields, which stout leaves out when they have no element. Compiled into straight-line code over
 * the shaped keys (field names come from the views and the schema, and are quoted with JSON.stringify); the object
 * is copied, keeping its key order, only when a shaped key's value changes.
 */
function objectPlan(fields: Map<string, Plan>, omitEmpty: ReadonlySet<string>): Plan {
  const shaped = [...fields].filter(([k, plan]) => !plan.plain || omitEmpty.has(k))
  if (!shaped.length) return PLAIN_PLAN
  const P: Plan[] = []
  let body = ''
  for (const [k, plan] of shaped) {
    // `o.__proto__ = …` would set the copy's prototype, and `v.__proto__` reads the prototype of every object.
    if (k === '__proto__') throw new Error('v0 JSON: a shaped key named __proto__ cannot be written')
    const key = J(k) as string
    const value = valueCode(plan, () => `P[${P.push(plan) - 1}]`)
    body += `  x = v[${key}]
  if (x !== undefined) {
    k = ${key}
    t = ${omitEmpty.has(k) ? `Array.isArray(x) && x.length === 0 ? undefined : ${value}` : value}
    if (t !== x) { if (o === v) o = { ...v }; o[${key}] = t }
  }
`
  }
  const code = `return function shape(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
  let o = v, x, t, k = ''
  try {
${body}  } catch (e) { throw L(e, k) }
  return o
}`
  const shape = new Function('D', 'L', 'P', code)(shapeDouble, located, P) as Shaper
  return { plain: false, shape }
}

const MESSAGE_PLAN = Symbol('v0 json message plan')
type Planned = MessageType & { [MESSAGE_PLAN]?: Plan }

/** The plan of a protobuf message, compiled once per type. Keys in the value's own order, unknown keys kept. */
function messagePlan(type: Planned): Plan {
  const have = type[MESSAGE_PLAN]
  if (have) return have
  // Stored before the fields are planned so that a type holding itself finds it (as not plain until complete).
  const plan: Plan = { plain: false, shape: v => plan.shape(v) }
  type[MESSAGE_PLAN] = plan
  const fields = new Map<string, Plan>()
  const omitEmpty = new Set<string>()
  for (const f of type.fields) {
    let p: Plan
    if (f.kind === 'scalar' && (f.type === 'double' || f.type === 'float')) p = DOUBLE_PLAN
    else if (f.kind === 'message' && f.message) p = messagePlan(f.message)
    else p = PLAIN_PLAN
    if (f.label === 'repeated') {
      omitEmpty.add(f.name)
      // A repeated field may hold an array, or a single value where meso's objects are loose; both are written.
      p = arrayPlan(p, true)
    } else if (f.label === 'map') {
      p = dictPlan(p)
    }
    fields.set(f.name, p)
  }
  const done = objectPlan(fields, omitEmpty)
  plan.plain = done.plain
  plan.shape = done.shape
  return plan
}

const SHAPE_PLAN = new WeakMap<Shape, Plan>()

function planOf(shape: Shape): Plan {
  const have = SHAPE_PLAN.get(shape)
  if (have) return have
  let plan: Plan
  switch (shape.kind) {
    case 'plain': plan = PLAIN_PLAN; break
    case 'double': plan = DOUBLE_PLAN; break
    case 'array': plan = arrayPlan(planOf(shape.of)); break
    case 'dict': plan = dictPlan(planOf(shape.of)); break
    case 'object': plan = objectPlan(new Map(Object.entries(shape.fields).map(([k, s]) => [k, planOf(s)])), new Set()); break
    case 'message': plan = messagePlan(message(shape.type)); break
  }
  SHAPE_PLAN.set(shape, plan)
  return plan
}

/** `value`'s text through `plan`: one JSON.stringify of its shape, mended when the shape holds marked doubles. */
function write(plan: Plan, value: unknown): string {
  if (plan.plain) return J(value) ?? 'null'
  const before = MARKS.n
  writing++
  const text = J(plan.shape(value)) ?? 'null'
  return MARKS.n !== before ? mend(text) : text
}

/**
 * The writer of documents of `shape`: the JSON text Mesos would send. Compiled on first use (message shapes need the
 * protobuf schema), then reused. Throws NonFiniteDouble where a declared double is NaN or infinite.
 */
export function v0Writer(shape: Shape): (value: unknown) => string {
  let plan: Plan | undefined
  return value => write((plan ??= planOf(shape)), value)
}

/**
 * The writer of a streamed array's slices (src/master/json-stream.ts) whose elements are `shape`: what joining
 * `v0Writer(shape)` of each with commas gives, in one JSON.stringify per slice.
 */
export function v0Elements<T>(shape: Shape): { elements(items: readonly T[]): string } {
  let plan: Plan | undefined
  return {
    elements: items => {
      if (!items.length) return ''
      return write((plan ??= arrayPlan(planOf(shape))), items).slice(1, -1)
    },
  }
}

// The v0 answers that master and agent share.

/** `/metrics/snapshot`: libprocess keeps every metric as a double (`"master/elected":1.0`). */
export const writeMetricsSnapshot = v0Writer(dictOf(DOUBLE))
/** `/version`: `build_time` is a double (build::TIME). */
export const writeVersion = v0Writer(objectOf({ build_time: DOUBLE }))
