// JSON ⇄ message conversion following Mesos' stout rules (not proto3 canonical JSON): snake_case proto names only,
// unknown keys ignored, null = absent, enums by name (numbers refused), bytes as base64, 64-bit ints as numbers or
// numeric strings, a bare value accepted for a repeated field, explicit defaults filled in, required fields checked.
// The parsed form is exactly what Mesos would serialize back, so the rest of meso works on plain objects in that
// shape and writes them with JSON.stringify.

import type { FieldDef, MessageType } from './schema.ts'

export class ProtoJsonError extends Error {}

/** Parses a JSON value (already JSON.parse'd) into the normalized form of `type`; throws ProtoJsonError. */
export function fromJson<T = any>(type: MessageType, value: unknown): T {
  if (!isObject(value)) throw new ProtoJsonError('Expecting a JSON object')
  const out = parseMessage(type, value)
  const missing: string[] = []
  collectMissing(type, out, '', missing)
  if (missing.length) throw new ProtoJsonError(`Missing required fields: ${missing.join(', ')}`)
  return out as T
}

/** Parses message JSON text; JSON syntax errors are reported like Mesos does. */
export function parseJsonText<T = any>(type: MessageType, text: string): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ProtoJsonError(`Failed to parse body into JSON: ${(err as Error).message}`)
  }
  return fromJson<T>(type, value)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function parseMessage(type: MessageType, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of type.fields) {
    const v = obj[f.name]
    if (v === undefined || v === null) {
      if (f.defaultValue !== undefined && !f.deprecated && f.label !== 'repeated') out[f.name] = f.defaultValue
      continue
    }
    if (f.label === 'repeated') {
      const items = Array.isArray(v) ? v : [v]
      const parsed: unknown[] = []
      for (const item of items) {
        if (item === null) continue
        const p = parseValue(f, item)
        if (p !== DROP) parsed.push(p)
      }
      if (parsed.length) out[f.name] = parsed
    } else if (f.label === 'map') {
      if (!isObject(v)) throw new ProtoJsonError(`Expecting a JSON object for map field '${f.name}'`)
      const m: Record<string, unknown> = {}
      for (const [k, item] of Object.entries(v)) {
        if (item === null) continue
        const p = parseValue(f, item)
        if (p !== DROP) m[k] = p
      }
      out[f.name] = m
    } else {
      if (Array.isArray(v)) throw new ProtoJsonError(`Not expecting a JSON array for field '${f.name}'`)
      const p = parseValue(f, v)
      if (p === DROP) {
        if (f.label === 'required') throw new ProtoJsonError(`Failed to find enum for '${String(v)}'`)
        continue
      }
      out[f.name] = p
    }
  }
  return out
}

const DROP = Symbol('drop')

function parseValue(f: FieldDef, v: unknown): unknown {
  if (f.kind === 'message') {
    if (!isObject(v)) throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
    return parseMessage(f.message!, v)
  }
  if (f.kind === 'enum') {
    if (typeof v !== 'string') throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
    return f.enumType!.byName.has(v) ? v : DROP
  }
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string') throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
      return v
    case 'bool':
      if (typeof v === 'boolean') return v
      if (v === 'true' || v === 'false') return v === 'true'
      throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
    case 'bytes':
      if (typeof v !== 'string' || !isBase64(v)) throw new ProtoJsonError(`Failed to base64-decode field '${f.name}'`)
      return v
    case 'double':
    case 'float': {
      if (typeof v === 'number') return v
      if (v === 'Infinity') return Infinity
      if (v === '-Infinity') return -Infinity
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
      throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
    }
    default: {
      // Integer types: a JSON number or a string holding one ("5000000000").
      let n: number
      if (typeof v === 'number') n = v
      else if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.trim())) n = Number(v)
      else throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
      if (!Number.isFinite(n)) throw new ProtoJsonError(`Invalid integer for field '${f.name}'`)
      n = Math.trunc(n)
      if ((f.type.startsWith('uint') || f.type.startsWith('fixed')) && n < 0) {
        throw new ProtoJsonError(`Negative value for unsigned field '${f.name}'`)
      }
      return n
    }
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'object') return 'object'
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string'
}

function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s)
}

/** Collects required fields absent anywhere in a parsed message, as dotted paths. */
export function collectMissing(type: MessageType, obj: Record<string, unknown>, prefix: string, out: string[]): void {
  for (const f of type.fields) {
    const v = obj[f.name]
    if (v === undefined) {
      if (f.label === 'required') out.push(prefix + f.name)
      continue
    }
    if (f.kind !== 'message') continue
    if (f.label === 'repeated') {
      ;(v as Record<string, unknown>[]).forEach((item, i) => collectMissing(f.message!, item, `${prefix}${f.name}[${i}].`, out))
    } else if (f.label === 'map') {
      for (const [k, item] of Object.entries(v as Record<string, Record<string, unknown>>)) {
        collectMissing(f.message!, item, `${prefix}${f.name}[${k}].`, out)
      }
    } else {
      collectMissing(f.message!, v as Record<string, unknown>, `${prefix}${f.name}.`, out)
    }
  }
}
