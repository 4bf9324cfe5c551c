// The v1 JSON writer as it was before src/core/proto/json-writer.ts wrote through JSON.stringify (commit 87a64d4):
// text assembled field by field. Kept as the reference the equivalence test compares the writer with; not used by
// meso itself.

import type { MessageType } from '../../src/core/proto/schema.ts'

type Writer = (value: unknown) => string

interface WritePlan {
  /** Nothing below needs more than JSON.stringify: no doubles, no repeated fields. */
  plain: boolean
  write: Writer
}

const PLAN = Symbol('json write plan')
type Planned = MessageType & { [PLAN]?: WritePlan }

/**
 * The writer of one message type, compiled once into straight-line code over its fields in schema order (the order
 * stout writes them in), so the hot path does no per-key lookups.
 */
function planOf(type: Planned): WritePlan {
  const have = type[PLAN]
  if (have) return have
  // Stored before its fields are planned, so a type that holds itself (directly or not) finds it; until it is
  // complete it counts as not plain, which only costs the types that hold it a walk.
  const plan: WritePlan = { plain: false, write: v => plan.write(v) }
  type[PLAN] = plan
  const subs: Writer[] = []
  const sub = (p: WritePlan) => {
    subs.push(v => p.write(v))
    return `S[${subs.length - 1}]`
  }
  let plain = true
  let body = ''
  for (const f of type.fields) {
    const key = JSON.stringify(JSON.stringify(f.name) + ':')
    const repeated = f.label === 'repeated'
    let elem: string
    if (f.kind === 'scalar' && (f.type === 'double' || f.type === 'float')) {
      elem = 'D'
      plain = false
    } else if (f.kind === 'message' && f.message) {
      const p = planOf(f.message)
      if (f.label === 'map') elem = p.plain ? 'J' : `M(${sub(p)})`
      else elem = p.plain ? 'J' : sub(p)
      if (!p.plain) plain = false
    } else {
      elem = 'J'
    }
    if (f.label === 'map' && elem.startsWith('M(')) {
      body += `v = o[${JSON.stringify(f.name)}]; if (v != null) { s += c + ${key} + ${elem}(v); c = ',' }\n`
      continue
    }
    if (repeated) {
      plain = false
      body += `v = o[${JSON.stringify(f.name)}]; if (v != null) { if (Array.isArray(v)) { if (v.length) { s += c + ${key} + '['; for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + (${elem}(v[i]) ?? 'null'); s += ']'; c = ',' } } else { t = ${elem}(v); if (t !== undefined) { s += c + ${key} + t; c = ',' } } }\n`
    } else {
      body += `v = o[${JSON.stringify(f.name)}]; if (v != null) { t = ${elem}(v); if (t !== undefined) { s += c + ${key} + t; c = ',' } }\n`
    }
  }
  plan.plain = plain
  if (plain) {
    plan.write = v => JSON.stringify(v)
    return plan
  }
  const code = `return function write(o) {
if (o === null || typeof o !== 'object') return J(o)
let s = '{', c = '', v, t
${body}return s + '}'
}`
  plan.write = new Function('J', 'D', 'M', 'S', code)(JSON.stringify, formatDouble, mapWriter, subs) as Writer
  return plan
}

/** A map field whose values are messages: each value through its writer. */
function mapWriter(write: Writer): Writer {
  return (v: unknown) => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v)
    let out = '{'
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k]
      if (x == null) continue
      out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + write(x)
    }
    return out + '}'
  }
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
export function referenceJsonText(type: MessageType, value: unknown): string {
  return planOf(type).write(value) ?? 'null'
}
