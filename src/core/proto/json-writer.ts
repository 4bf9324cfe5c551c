// Writing messages as Mesos writes them (stout's jsonify over a protobuf, 3rdparty/stout/include/stout/protobuf.hpp
// and jsonify.hpp, numbers through rapidjson's Writer). Where that differs from JSON.stringify of meso's plain objects:
//
// - `double`/`float` fields keep a fraction: rapidjson prints an integral double as `1.0`, so resources read
//   `"scalar":{"value":1.0}` and a framework's `failover_timeout` `0.0`; other numbers print as the shortest text
//   that reads back the same, as JSON.stringify does, with rapidjson's exponent form (`1e25`, not `1e+25`).
// - empty repeated fields are left out (stout writes only the elements a repeated field has).
// - 64-bit integers are plain JSON numbers, as JSON.stringify writes them.
//
// - fields come in schema order, and keys the schema does not know are left out, as in the protobuf encoding.
//
// How: each message type gets a function compiled once from its schema that turns a value into its "JSON shape": a
// fresh object with the type's fields in schema order (absent fields and empty repeated ones left out), integral
// doubles as marked strings mended after (see MARK), and everything below that needs nothing more than
// JSON.stringify (no doubles, no repeated fields anywhere below: IDs, addresses, labels) by reference. One native
// JSON.stringify then writes the whole shape. The previous writer assembled the text field by field in JavaScript
// (a string concatenation per field, a JSON.stringify call per small sub-message): about 3× a JSON.stringify of the
// same objects, against 1.3–1.6× now (100k tasks as GET_STATE writes them, 100 per call, CPU time on a 2-vCPU VM:
// 510–580 → 255–290 ms; JSON.stringify of the tasks as stored 160–210 ms). test/core/json-writer-equivalence.test.ts
// checks that the bytes are the previous writer's.
//
// This is on the hot path: every scheduler event and every v1 response in JSON goes through here.

import { randomBytes } from 'node:crypto'
import type { MessageType } from './schema.ts'

/** A value as JSON.stringify should see it to write Mesos' text. */
type Shaper = (value: unknown) => unknown

interface WritePlan {
  /** Nothing below needs more than JSON.stringify: no doubles, no repeated fields. */
  plain: boolean
  shape: Shaper
}

const PLAN = Symbol('json write plan')
type Planned = MessageType & { [PLAN]?: WritePlan }

/**
 * Integral doubles are the one thing JSON.stringify cannot write as Mesos does (`32.0`). `JSON.rawJSON` could, but a
 * single raw value drops the whole JSON.stringify call off its fast path (3× slower), so in the shape such a number
 * is a string that starts with a marker, and the text is mended after: `"<marker>32.0"` becomes `32.0`. The marker
 * is a random nonce, so no string from the outside (a task name, a label) can pass for one: it would need the
 * nonce, which never leaves the process. It has no character JSON escapes: escaping takes JSON.stringify off its
 * fast path for that string.
 */
const MARK = `#${randomBytes(9).toString('base64url')}:`
/** How the marker reads in JSON.stringify's output, with the opening quote. */
const MARK_TEXT = JSON.stringify(MARK).slice(0, -1)
/** Marked numbers put into shapes so far: a text is mended only when its shape added some. */
let marked = 0

/**
 * A `double` field's value in the shape: an integral number as rapidjson writes it (`1.0`), a non-finite one as
 * `null`; anything else (a malformed value) as JSON.stringify would write it, `null` where it writes nothing.
 */
function shapeDouble(v: unknown): unknown {
  if (typeof v === 'number') {
    // A fraction below 1e21 prints as JSON.stringify prints it: only integers and huge values need their own text.
    if (!Number.isInteger(v) && Math.abs(v) < 1e21) return v
    if (!Number.isFinite(v)) return null
    return markedDouble(v)
  }
  return v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : v
}

/**
 * A finite number that JSON.stringify would not write as rapidjson does (integral, or 1e21 and beyond) as a marked
 * string, which `mend` turns into its rapidjson text. Also used by the v0 writer (src/core/json/v0-json.ts), which
 * shapes its documents the same way. Not for -0 (the cache cannot tell it from 0): see `markedText`.
 */
export function markedDouble(v: number): string {
  // A 32-bit integer that wraps around: only "did it change during this call" is asked of it.
  marked = (marked + 1) | 0
  let text = markedTexts.get(v)
  if (text === undefined) {
    if (markedTexts.size >= MAX_MARKED) markedTexts.clear()
    text = MARK + formatDouble(v)
    markedTexts.set(v, text)
  }
  return text
}

/** `text`, a number's JSON text with no quote in it, as a marked string that `mend` turns into `text` itself. */
export function markedText(text: string): string {
  marked = (marked + 1) | 0
  return MARK + text
}

/** Marked texts of the integral doubles seen last: resources repeat a few values (`"mem":32.0` in every task). */
const markedTexts = new Map<number, string>()
const MAX_MARKED = 4096

/** `text` with every marked number (see MARK) written as the number it stands for. */
export function mend(text: string): string {
  let out = ''
  let from = 0
  for (;;) {
    const at = text.indexOf(MARK_TEXT, from)
    if (at < 0) break
    // The number's text has no quote: the first one after the marker closes the marked string.
    const close = text.indexOf('"', at + MARK_TEXT.length)
    out += text.slice(from, at) + text.slice(at + MARK_TEXT.length, close)
    from = close + 1
  }
  return out + text.slice(from)
}

/**
 * The plan of one message type: its shaper compiled once into straight-line code over its fields in schema order
 * (the order stout writes them in), so the hot path does no per-key lookups. Field names come from the schema
 * (src/core/proto/defs), never from input, and are quoted with JSON.stringify where they appear in the code.
 */
function planOf(type: Planned): WritePlan {
  const have = type[PLAN]
  if (have) return have
  // Stored before its fields are planned, so a type that holds itself (directly or not) finds it; until it is
  // complete it counts as not plain, which only costs the types that hold it a walk.
  const plan: WritePlan = { plain: false, shape: v => plan.shape(v) }
  type[PLAN] = plan
  const subs: Shaper[] = []
  const sub = (p: WritePlan) => {
    subs.push(v => p.shape(v))
    return `S[${subs.length - 1}]`
  }
  let plain = true
  // One statement per field: `t` is the field's shape, undefined to leave the field out.
  const body: string[] = []
  for (const f of type.fields) {
    // `r.__proto__ = …` would set the shape's prototype, not a field.
    if (f.name === '__proto__') throw new Error(`${type.fullName}: a field named __proto__ cannot be written`)
    const key = JSON.stringify(f.name)
    const get = `o[${key}]`
    const repeated = f.label === 'repeated'
    // How one value (an element, for repeated fields) is shaped: `null` for "as it is".
    let elem: string | null
    let mapOfMessages = false
    if (f.kind === 'scalar' && (f.type === 'double' || f.type === 'float')) {
      elem = 'D'
      plain = false
    } else if (f.kind === 'message' && f.message) {
      const p = planOf(f.message)
      if (!p.plain) plain = false
      elem = p.plain ? null : sub(p)
      mapOfMessages = f.label === 'map' && !p.plain
    } else {
      elem = null
    }
    let value: string
    if (mapOfMessages) {
      value = `M(v, ${elem})`
    } else if (repeated) {
      plain = false
      // An array's elements are shaped one by one (an element that writes nothing reads `null`, as in
      // JSON.stringify); a non-array value where an array belongs is shaped as one value.
      const whole = elem ? `${elem}(v)` : 'v'
      const each = elem ? `A(v, ${elem})` : 'v'
      value = `Array.isArray(v) ? (v.length ? ${each} : undefined) : ${whole}`
    } else {
      value = elem ? `${elem}(v)` : 'v'
    }
    // Only the fields a value has become properties: a shape with every field of its type, most of them undefined,
    // made JSON.stringify 2× slower.
    body.push(`v = ${get}; if (v != null) { t = ${value}; if (t !== undefined) r[${key}] = t }`)
  }
  plan.plain = plain
  if (plain) {
    plan.shape = v => v
    return plan
  }
  const code = `return function shape(o) {
if (o === null || typeof o !== 'object') return o
let v, t
const r = {}
${body.join('\n')}
return r
}`
  plan.shape = new Function('D', 'M', 'A', 'S', code)(shapeDouble, shapeMap, shapeArray, subs) as Shaper
  return plan
}

/** A repeated field's elements, each through `shape`. */
function shapeArray(v: unknown[], shape: Shaper): unknown[] {
  const out = new Array(v.length)
  for (let i = 0; i < v.length; i++) out[i] = shape(v[i])
  return out
}

/**
 * A map field whose values are messages: each non-null value through its shaper, keys in the map's own order. The
 * shape has no prototype, so a key such as `__proto__` is a plain key.
 */
function shapeMap(v: unknown, shape: Shaper): unknown {
  if (v === null || typeof v !== 'object') return v
  const out: Record<string, unknown> = Object.create(null)
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k]
    if (x != null) out[k] = shape(x)
  }
  return out
}

/** An integral double as rapidjson writes it (`1.0`); others as the shortest round-trip text, exponent without `+`. */
export function formatDouble(v: unknown): string {
  if (typeof v !== 'number') return JSON.stringify(v) ?? 'null'
  if (!Number.isFinite(v)) return 'null'
  const s = String(v)
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return s + '.0'
  const e = s.indexOf('e+')
  return e < 0 ? s : s.slice(0, e + 1) + s.slice(e + 2)
}

/** `value`, a message of `type` in meso's plain-object form, as Mesos' JSON. */
export function toJsonText(type: MessageType, value: unknown): string {
  const plan = planOf(type)
  if (plan.plain) return JSON.stringify(value) ?? 'null'
  const before = marked
  const text = JSON.stringify(plan.shape(value)) ?? 'null'
  return marked !== before ? mend(text) : text
}

/**
 * `values`, messages of `type`, as a JSON array's elements (without the brackets): what joining `toJsonText` of
 * each with commas gives, in one JSON.stringify (the slices of streamed answers, src/master/json-stream.ts).
 */
export function toJsonElements(type: MessageType, values: readonly unknown[]): string {
  if (!values.length) return ''
  const plan = planOf(type)
  if (plan.plain) return JSON.stringify(values).slice(1, -1)
  const before = marked
  const text = JSON.stringify(shapeArray(values as unknown[], plan.shape)).slice(1, -1)
  return marked !== before ? mend(text) : text
}
