// The v0 JSON writer as it was before src/core/json/v0-json.ts wrote through one JSON.stringify (value by value in
// JavaScript, with stitched shallow copies): kept as the reference test/core/v0-json-equivalence.test.ts compares
// the writer with; not used by meso itself. Shapes are built with the writer's own constructors (the same
// structure); NonFiniteDouble here is this file's own class.
//
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
// Speed (bench/v0-json.ts: /master/state of 10k agents and 10k tasks): JSON.stringify is native and a value-by-value
// writer in JavaScript cannot match it, so as much as possible is left to it. A subtree whose shape names no double
// goes to JSON.stringify whole; an object with shaped keys goes to it as a shallow copy in which those keys hold
// markers, replaced afterwards by their texts (stitchedObjectPlan); only maps whose every value is shaped (flattened
// resources, attributes, metrics) are written key by key, with the key texts of the last map of the plan and the
// texts of small whole doubles at hand. That takes about twice as long as JSON.stringify alone, and 1.0-1.3 times as
// long as JSON.stringify followed by one regex pass over its text (which could not tell a double from an integer, so
// is no alternative).

import { randomUUID } from 'node:crypto'
import { formatDouble } from '../../src/core/proto/json-writer.ts'
import { message } from '../../src/core/proto/index.ts'
import type { MessageType } from '../../src/core/proto/schema.ts'

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

type Write = (v: unknown) => string | undefined

interface Plan {
  /** Nothing below needs more than JSON.stringify. */
  plain: boolean
  write: Write
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
 * A string as JSON.stringify writes it. Most strings of a v0 document (ids, names, states) need no escape, and a
 * scan here is about three times faster than a call into the native JSON.stringify for each.
 */
function quote(x: string): string {
  for (let i = 0; i < x.length; i++) {
    const c = x.charCodeAt(i)
    // Control characters, `"`, `\` and surrogates (JSON.stringify escapes the lone ones): the native writer decides.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return J(x) as string
  }
  return '"' + x + '"'
}

const writeDouble: Write = v => (typeof v === 'number' ? doubleText(v) : J(v))

const PLAIN_PLAN: Plan = { plain: true, write: J }
const DOUBLE_PLAN: Plan = { plain: false, write: writeDouble }

/** The texts of the small whole doubles (counts of CPUs, zero quantities), written without making a string each. */
const SMALL_DOUBLES = 1024
const SMALL_DOUBLE_TEXTS = Array.from({ length: SMALL_DOUBLES }, (_, i) => i + '.0')

/** Adds where the failure happened, innermost first, as the error travels out. */
const located = (e: unknown, at: string | number): unknown => (e instanceof NonFiniteDouble ? e.within(at) : e)

// The writers are generated code, one function per plan (as src/core/proto/json-writer.ts does): one shared loop
// for every object had its property reads and calls see every kind of object, and ran five to ten times slower than
// JSON.stringify; a function per plan sees one kind each, and doubles and plain numbers are written inline.

/** The expression that writes `x`, a value of `plan`, where `P[i]` is how generated code reaches `plan`. */
function valueCode(plan: Plan | 'plain', ref: () => string): string {
  if (plan === 'plain' || plan.plain) {
    return `typeof x === 'string' ? Q(x) : typeof x === 'number' ? (x - x === 0 ? '' + x : 'null') : typeof x === 'boolean' ? (x ? 'true' : 'false') : J(x)`
  }
  // Whole numbers (most doubles: quantities, seconds) inline; the rest through doubleText.
  if (plan === DOUBLE_PLAN) {
    return `typeof x === 'number' ? ((x | 0) === x && x >= 0 && x < ${SMALL_DOUBLES} && (x !== 0 || 1 / x > 0) ? DS[x] : Number.isInteger(x) && x < 1e21 && x > -1e21 && x !== 0 ? x + '.0' : D(x)) : typeof x === 'string' ? Q(x) : J(x)`
  }
  return `${ref()}.write(x)`
}

function generate(params: Record<string, unknown>, body: string): Write {
  const names = Object.keys(params)
  return new Function(...names, body)(...names.map(n => params[n])) as Write
}

/** An array of `of`; with `single`, a value that is not an array is one `of` (a repeated protobuf field, loosely held). */
function arrayPlan(of: Plan, single = false): Plan {
  if (of.plain && !single) return PLAIN_PLAN
  const P = [of]
  const code = `return function write(v) {
  if (!Array.isArray(v)) { ${single ? 'const x = v; return ' + valueCode(of, () => 'P[0]') : 'return J(v)'} }
  let s = '[', i = 0, t, x
  try {
    for (; i < v.length; i++) {
      x = v[i]
      t = ${valueCode(of, () => 'P[0]')}
      s += (i ? ',' : '') + (t === undefined ? 'null' : t)
    }
  } catch (e) { throw L(e, i) }
  return s + ']'
}`
  return { plain: false, write: generate({ J, Q: quote, D: doubleText, DS: SMALL_DOUBLE_TEXTS, L: located, P }, code) }
}

/** Positions of a map whose last key and its text are remembered. */
const SEEN_KEYS = 16
/** Keys written as JSON strings, remembered per plan (an object's keys are few and fixed), up to this many. */
const KEY_MEMO_MAX = 1024

function keyMemo(): (k: string) => string {
  const memo = new Map<string, string>()
  return k => {
    let t = memo.get(k)
    if (t === undefined) {
      t = J(k) + ':'
      if (memo.size < KEY_MEMO_MAX) memo.set(k, t)
    }
    return t
  }
}

/**
 * An object whose keys in `fields` take their plan and whose other keys take `rest`. `omitEmpty` names repeated
 * protobuf fields, which stout leaves out when they have no element. Keys are written in the object's own order.
 */
function objectPlan(fields: Map<string, Plan>, rest: Plan | 'plain', omitEmpty: ReadonlySet<string> = new Set()): Plan {
  const P: Plan[] = []
  let cases = ''
  for (const [k, plan] of fields) {
    const omit = omitEmpty.has(k)
    if (plan.plain && !omit) continue
    const ref = () => `P[${P.push(plan) - 1}]`
    cases += `    case ${J(k)}:
      ${omit ? 'if (Array.isArray(x) && x.length === 0) continue' : ''}
      t = ${valueCode(plan, ref)}
      if (t === undefined) continue
      i++
      s += (i ? ${J(',' + J(k) + ':')} : ${J(J(k) + ':')}) + t
      continue
`
  }
  if (!cases && (rest === 'plain' || rest.plain)) return PLAIN_PLAN
  // The text of the key at each position is remembered with the key it was for: maps of one kind (flattened
  // resources: cpus, gpus, mem, disk) repeat their keys in the same order, and comparing the key with the one seen
  // there last is cheaper than looking its text up.
  const code = `return function write(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return J(v)
  let s = '{', k = '', t, x, i = -1
  try {
    for (k in v) {
      x = v[k]
${cases ? `      switch (k) {
${cases}      }
` : ''}      t = ${valueCode(rest, () => `P[${P.push(rest as Plan) - 1}]`)}
      if (t === undefined) continue
      i++
      s += (i < ${SEEN_KEYS} ? (k === SK[i] ? ST[i] : (SK[i] = k, ST[i] = (i ? ',' : '') + K(k))) : ',' + K(k)) + t
    }
  } catch (e) { throw L(e, k) }
  return s + '}'
}`
  // Nothing seen yet: undefined, which no key equals (the empty string is a key).
  const seenKeys: (string | undefined)[] = new Array(SEEN_KEYS).fill(undefined)
  const seenTexts: string[] = new Array(SEEN_KEYS).fill('')
  return { plain: false, write: generate({ J, Q: quote, D: doubleText, DS: SMALL_DOUBLE_TEXTS, L: located, K: keyMemo(), P, SK: seenKeys, ST: seenTexts }, code) }
}

const dictPlan = (of: Plan): Plan => objectPlan(new Map(), of)

/**
 * The marker a shaped field's value is replaced by in the copy handed to JSON.stringify: a NUL, this process's nonce
 * and the field's index as one character. No value of a document can be one (the nonce is random and secret).
 */
const NONCE = randomUUID().replaceAll('-', '')
/** How the markers begin in JSON.stringify's text: `"\u0000<nonce>`, then the index character and `"`. */
const MARKER_TEXT = (J('\u0000' + NONCE) as string).slice(0, -1)
/** Index characters from '0' on, printable and never escaped: this many shaped fields at most. */
const MAX_STITCHED = 64

/**
 * An object with named fields shaped and every other key plain, written by JSON.stringify on a shallow copy whose
 * shaped fields hold markers, which are then replaced by those fields' texts. The plain keys (ids, names, states,
 * counts, nested plain objects) are written natively in one call, which is several times faster than writing them
 * one by one here; the copy and the markers keep the object's own key order.
 */
function stitchedObjectPlan(fields: Map<string, Plan>, omitEmpty: ReadonlySet<string>): Plan | undefined {
  const shaped = [...fields].filter(([k, plan]) => !plan.plain || omitEmpty.has(k))
  if (!shaped.length) return PLAIN_PLAN
  if (shaped.length > MAX_STITCHED) return undefined
  const P: Plan[] = []
  let take = ''
  let put = ''
  shaped.forEach(([k, plan], i) => {
    const key = J(k) as string
    const ref = () => `P[${P.push(plan) - 1}]`
    take += `  x = v[${key}]
  if (x !== undefined) {
    ${omitEmpty.has(k) ? 'if (Array.isArray(x) && x.length === 0) t = undefined; else ' : ''}{ k = ${key}; t = ${valueCode(plan, ref)} }
    if (t === undefined) o[${key}] = undefined
    else { o[${key}] = ${J('\u0000' + NONCE + String.fromCharCode(0x30 + i))}; T${i} = t; n++ }
  }
`
    put += `      case ${i}: out += T${i}; break
`
  })
  const code = `return function write(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return J(v)
  const o = { ...v }
  let n = 0, x, t, k = ''${shaped.map((_, i) => `, T${i} = ''`).join('')}
  try {
${take}  } catch (e) { throw L(e, k) }
  const s = J(o)
  if (n === 0) return s
  let out = '', from = 0, at
  for (; n > 0; n--) {
    at = s.indexOf(M, from)
    out += s.slice(from, at)
    switch (s.charCodeAt(at + M.length) - 0x30) {
${put}    }
    from = at + M.length + 2
  }
  return out + s.slice(from)
}`
  return { plain: false, write: generate({ J, Q: quote, D: doubleText, DS: SMALL_DOUBLE_TEXTS, L: located, M: MARKER_TEXT, P }, code) }
}

const MESSAGE_PLAN = Symbol('v0 json message plan')
type Planned = MessageType & { [MESSAGE_PLAN]?: Plan }

/** The plan of a protobuf message, compiled once per type. */
function messagePlan(type: Planned): Plan {
  const have = type[MESSAGE_PLAN]
  if (have) return have
  // Stored before the fields are planned so that a type holding itself finds it (as not plain until complete).
  const plan: Plan = { plain: false, write: v => plan.write(v) }
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
  const done = stitchedObjectPlan(fields, omitEmpty) ?? objectPlan(fields, 'plain', omitEmpty)
  plan.plain = done.plain
  plan.write = done.write
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
    case 'object': {
      const fields = new Map(Object.entries(shape.fields).map(([k, s]) => [k, planOf(s)]))
      plan = stitchedObjectPlan(fields, new Set()) ?? objectPlan(fields, 'plain')
      break
    }
    case 'message': plan = messagePlan(message(shape.type)); break
  }
  SHAPE_PLAN.set(shape, plan)
  return plan
}

/**
 * The writer of documents of `shape`: the JSON text Mesos would send. Compiled on first use (message shapes need the
 * protobuf schema), then reused. Throws NonFiniteDouble where a declared double is NaN or infinite.
 */
export function v0Writer(shape: Shape): (value: unknown) => string {
  let plan: Plan | undefined
  return value => (plan ??= planOf(shape)).write(value) ?? 'null'
}
