// JSON ⇄ message conversion following Mesos' stout rules (not proto3 canonical JSON): snake_case proto names only,
// unknown keys ignored, null = absent, enums by name (numbers refused), bytes as base64, 64-bit ints as numbers or
// numeric strings, a bare value accepted for a repeated field, explicit defaults filled in, required fields checked.
// The parsed form is exactly what Mesos would serialize back, so the rest of meso works on plain objects in that
// shape and writes them with JSON.stringify.
//
// Request bodies are parsed by `parseJsonText`, which reads the text once, straight into the normalized message,
// and enforces the limits of docs/security-input.md while it reads: nesting depth, string length and entries per
// array or object. `JSON.parse` cannot do that: a 50 MB body of `[` makes it build 50 million nested arrays (4 GB)
// before it fails. Reading against the schema also skips unknown keys without building them, and costs what
// `JSON.parse` followed by `fromJson` cost (docs/security-input.md). `parseJson`, for JSON that is not a protobuf
// message (the agent link), checks with the same reader and lets JSON.parse build.

import type { FieldDef, MessageType } from './schema.ts'

export class ProtoJsonError extends Error {}

/** A document over one of the limits; the message names the limit and the flag that sets it. */
export class JsonLimitError extends ProtoJsonError {}

export interface JsonLimits {
  /** Deepest nesting of arrays and objects (picojson's PICOJSON_DEFAULT_MAX_DEPTHS, used by stout, is 100). */
  maxDepth: number
  /** Longest string (keys included), in UTF-16 code units. */
  maxStringLength: number
  /** Most entries in one array or object. */
  maxEntries: number
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({ maxDepth: 100, maxStringLength: 4 * 1024 * 1024, maxEntries: 100_000 })

let processLimits: Readonly<JsonLimits> = DEFAULT_JSON_LIMITS

/**
 * Sets the limits the daemons' decoders use (from --json_max_*; src/core/http/server-limits.ts). `meso up` runs a
 * master and an agent in one process: each daemon's limits are merged in, the most permissive value winning, so
 * neither refuses what its own flags allow.
 */
export function configureJsonLimits(l: JsonLimits, merge = false): void {
  processLimits = Object.freeze(merge
    ? { maxDepth: Math.max(processLimits.maxDepth, l.maxDepth), maxStringLength: Math.max(processLimits.maxStringLength, l.maxStringLength), maxEntries: Math.max(processLimits.maxEntries, l.maxEntries) }
    : { ...l })
}

/** Parses a JSON value (already JSON.parse'd) into the normalized form of `type`; throws ProtoJsonError. */
export function fromJson<T = any>(type: MessageType, value: unknown): T {
  if (!isObject(value)) throw new ProtoJsonError('Expecting a JSON object')
  const out = parseMessage(type, value)
  const missing: string[] = []
  collectMissing(type, out, '', missing)
  if (missing.length) throw new ProtoJsonError(`Missing required fields: ${missing.join(', ')}`)
  return out as T
}

/**
 * Parses message JSON text in one pass under `limits`; JSON syntax errors and limits are reported as
 * `Failed to parse body into JSON: …` (Mesos' wording for the first), conversion errors as fromJson's.
 */
export function parseJsonText<T = any>(type: MessageType, text: string, limits: JsonLimits = processLimits): T {
  const r = new Reader(text, limits)
  r.ws()
  if (r.peek() !== OPEN_OBJECT) {
    r.skip(0)
    r.end()
    throw new ProtoJsonError('Expecting a JSON object')
  }
  const out = r.message(type, 0)
  r.end()
  if (r.missing) {
    const missing: string[] = []
    collectMissing(type, out, '', missing)
    throw new ProtoJsonError(`Missing required fields: ${missing.join(', ')}`)
  }
  return out as T
}

/**
 * `JSON.parse` under limits, for JSON that is not a protobuf message (the agent link); throws ProtoJsonError. The
 * reader checks the text (syntax and limits, building nothing) and JSON.parse then builds it: without a schema to
 * read into, JSC's native builder is five times faster than building in JavaScript, so two passes cost less than
 * one here (2.9 µs → 1.6 µs for a STATUS_UPDATE; bench in docs/security-input.md).
 */
export function parseJson(text: string, limits: JsonLimits = processLimits): unknown {
  const r = new Reader(text, limits)
  r.ws()
  r.skip(0)
  r.end()
  return JSON.parse(text)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function parseMessage(type: MessageType, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of type.fields) {
    const v = obj[f.name]
    if (v === undefined || v === null) {
      if (hasDefault(f)) out[f.name] = f.defaultValue
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
        if (p !== DROP) setKey(m, k, p)
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

const hasDefault = (f: FieldDef) => f.defaultValue !== undefined && !f.deprecated && f.label !== 'repeated'

/** `o[k] = v`, except that a `__proto__` key becomes an own property (as JSON.parse makes it), not the prototype. */
function setKey(o: Record<string, unknown>, k: string, v: unknown) {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

function parseValue(f: FieldDef, v: unknown): unknown {
  if (f.kind === 'message') {
    if (!isObject(v)) throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
    return parseMessage(f.message!, v)
  }
  if (f.kind === 'enum') {
    if (typeof v !== 'string') throw new ProtoJsonError(`Not expecting a JSON ${jsonKind(v)} for field '${f.name}'`)
    return f.enumType!.byName.has(v) ? v : DROP
  }
  return scalar(f, v)
}

/** A scalar field's value from its JSON value (stout's rules, listed at the top). */
function scalar(f: FieldDef, v: unknown): unknown {
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

/** Per message type, what collectMissing and the reader need, computed once. */
interface Plan {
  index: Map<string, number>
  /** Field names by length, with their index: keys are matched in the text, without making a string of them. */
  byLength: ([string, number][] | undefined)[]
  required: FieldDef[]
  messages: FieldDef[]
  /** What an absent field becomes: its default, or undefined. */
  defaults: unknown[]
}

/** The plan rides on its type under a symbol: the reader looks it up once per object it reads. */
const PLAN = Symbol('json plan')
type Planned = MessageType & { [PLAN]?: Plan }

function planOf(type: Planned): Plan {
  let p = type[PLAN]
  if (!p) {
    const byLength: ([string, number][] | undefined)[] = []
    type.fields.forEach((f, i) => (byLength[f.name.length] ??= []).push([f.name, i]))
    p = {
      index: new Map(type.fields.map((f, i) => [f.name, i])),
      byLength,
      required: type.fields.filter(f => f.label === 'required'),
      messages: type.fields.filter(f => f.kind === 'message'),
      defaults: type.fields.map(f => (hasDefault(f) ? f.defaultValue : undefined)),
    }
    type[PLAN] = p
  }
  return p
}

/** Collects required fields absent anywhere in a parsed message, as dotted paths. */
export function collectMissing(type: MessageType, obj: Record<string, unknown>, prefix: string, out: string[]): void {
  const plan = planOf(type)
  for (const f of plan.required) if (obj[f.name] === undefined) out.push(prefix + f.name)
  for (const f of plan.messages) {
    const v = obj[f.name]
    if (v === undefined) continue
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

// ---------------------------------------------------------------------------------------------- the reader

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, COLON = 0x3a
const OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d
const MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, NINE = 0x39
/** A message field present in the document whose value was dropped (unknown enum name): no default then. */
const DROPPED = Symbol('dropped')

const ESCAPES: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' }

/**
 * A cursor over JSON text (RFC 8259, as strict as JSON.parse). `message` reads a protobuf message's JSON straight
 * into its normalized form, `skip` checks a value it does not keep; both count depth, string lengths and entries
 * against the limits as they go.
 */
class Reader {
  i = 0
  /** The last enum name that named no value (for the error when the field is required). */
  dropped = ''
  /** Whether some message lacks a required field. */
  missing = false
  constructor(readonly s: string, readonly limits: JsonLimits) {}

  peek(): number { return this.s.charCodeAt(this.i) }

  ws(): void {
    const s = this.s
    let i = this.i
    if (s.charCodeAt(i) > 0x20) return
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++
      else break
    }
    this.i = i
  }

  /** After the top-level value: only whitespace may follow. */
  end(): void {
    this.ws()
    if (this.i < this.s.length) this.syntax('Unexpected data after the JSON value')
  }

  syntax(what: string): never {
    const at = this.i >= this.s.length ? 'at the end of the input' : `at position ${this.i}`
    throw new ProtoJsonError(`Failed to parse body into JSON: ${what} ${at}`)
  }

  private unexpected(): never {
    if (this.i >= this.s.length) this.syntax('Unexpected end of input')
    this.syntax(`Unexpected character ${JSON.stringify(this.s[this.i])}`)
  }

  /** `what` reads on with "the limit of N (--flag)". */
  private limit(what: string, n: number, flag: string): never {
    throw new JsonLimitError(`Failed to parse body into JSON: ${what} the limit of ${n} (--${flag}) at position ${this.i}`)
  }

  private enter(depth: number): number {
    if (depth >= this.limits.maxDepth) this.limit('nesting is deeper than', this.limits.maxDepth, 'json_max_depth')
    return depth + 1
  }

  private counted(n: number): void {
    if (n > this.limits.maxEntries) this.limit('an array or object has more entries than', this.limits.maxEntries, 'json_max_array_length')
  }

  /** The JSON kind of the value starting here, for conversion errors (stout names the kind it did not expect). */
  private kindHere(): string {
    const c = this.peek()
    if (c === QUOTE) return 'string'
    if (c === OPEN_ARRAY) return 'array'
    if (c === OPEN_OBJECT) return 'object'
    if (c === 0x74 || c === 0x66) return 'boolean'
    if (c === 0x6e) return 'null'
    if (c === MINUS || (c >= ZERO && c <= NINE)) return 'number'
    this.unexpected()
  }

  /** After an array element or object entry: true for ',', false for the closing bracket. */
  private more(close: number): boolean {
    this.ws()
    const c = this.peek()
    if (c === COMMA) { this.i++; this.ws(); return true }
    if (c === close) { this.i++; return false }
    this.unexpected()
  }

  /** Consumes `{` and returns true if the object is empty (and consumed whole). */
  private openObject(): boolean {
    this.i++
    this.ws()
    if (this.peek() === CLOSE_OBJECT) { this.i++; return true }
    return false
  }

  private openArray(): boolean {
    this.i++
    this.ws()
    if (this.peek() === CLOSE_ARRAY) { this.i++; return true }
    return false
  }

  /**
   * An object key and its colon, as the index of the field it names in `plan` (-1: not a field). Plain keys are
   * compared in place; only keys with escapes become strings.
   */
  private fieldKey(plan: Plan): number {
    const s = this.s
    if (s.charCodeAt(this.i) !== QUOTE) this.unexpected()
    const start = this.i + 1
    let i = start
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === QUOTE) break
      if (c === BACKSLASH || c < 0x20 || c !== c) {
        const at = plan.index.get(this.key())
        return at === undefined ? -1 : at
      }
      i++
    }
    let at = -1
    const candidates = plan.byLength[i - start]
    if (candidates) {
      for (const [name, index] of candidates) if (s.startsWith(name, start)) { at = index; break }
    }
    this.i = i + 1
    if (i - start > this.limits.maxStringLength) { this.i = start - 1; this.limit('a string is longer than', this.limits.maxStringLength, 'json_max_string_length') }
    this.ws()
    if (this.peek() !== COLON) this.unexpected()
    this.i++
    this.ws()
    return at
  }

  /** An object key and its colon. */
  private key(): string {
    if (this.peek() !== QUOTE) this.unexpected()
    const k = this.string()
    this.ws()
    if (this.peek() !== COLON) this.unexpected()
    this.i++
    this.ws()
    return k
  }

  string(): string {
    const s = this.s
    const start = this.i + 1
    let i = start
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === QUOTE) break
      if (c === BACKSLASH) return this.escapedString(start, i)
      if (c !== c) { this.i = i; this.syntax('Unterminated string') }
      if (c < 0x20) { this.i = i; this.syntax('Control character in string') }
      i++
    }
    if (i - start > this.limits.maxStringLength) { this.i = start - 1; this.limit('a string is longer than', this.limits.maxStringLength, 'json_max_string_length') }
    this.i = i + 1
    return s.slice(start, i)
  }

  private escapedString(start: number, firstEscape: number): string {
    const s = this.s
    const max = this.limits.maxStringLength
    let out = s.slice(start, firstEscape)
    let i = firstEscape
    let from = i
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === QUOTE) break
      if (c !== c) { this.i = i; this.syntax('Unterminated string') }
      if (c < 0x20) { this.i = i; this.syntax('Control character in string') }
      if (c !== BACKSLASH) { i++; continue }
      out += s.slice(from, i)
      const e = s.charCodeAt(i + 1)
      if (e === 0x75) {
        const hex = s.slice(i + 2, i + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) { this.i = i; this.syntax('Bad \\u escape') }
        out += String.fromCharCode(parseInt(hex, 16))
        i += 6
      } else {
        const ch = ESCAPES[e]
        if (ch === undefined) { this.i = i; this.syntax('Bad escape') }
        out += ch
        i += 2
      }
      from = i
      if (out.length > max) { this.i = start - 1; this.limit('a string is longer than', max, 'json_max_string_length') }
    }
    out += s.slice(from, i)
    if (out.length > max) { this.i = start - 1; this.limit('a string is longer than', max, 'json_max_string_length') }
    this.i = i + 1
    return out
  }

  number(): number {
    const s = this.s
    const start = this.i
    let i = start
    let c = s.charCodeAt(i)
    if (c === MINUS) c = s.charCodeAt(++i)
    if (c === ZERO) c = s.charCodeAt(++i)
    else if (c > ZERO && c <= NINE) { do c = s.charCodeAt(++i); while (c >= ZERO && c <= NINE) }
    else { this.i = i; this.unexpected() }
    if (c === DOT) {
      c = s.charCodeAt(++i)
      if (!(c >= ZERO && c <= NINE)) { this.i = i; this.unexpected() }
      do c = s.charCodeAt(++i); while (c >= ZERO && c <= NINE)
    }
    if (c === 0x65 || c === 0x45) {
      c = s.charCodeAt(++i)
      if (c === PLUS || c === MINUS) c = s.charCodeAt(++i)
      if (!(c >= ZERO && c <= NINE)) { this.i = i; this.unexpected() }
      do c = s.charCodeAt(++i); while (c >= ZERO && c <= NINE)
    }
    this.i = i
    const n = +s.slice(start, i)
    // picojson, which stout parses with, refuses a number that overflows a double (`value(double)` throws).
    if (n === Infinity || n === -Infinity) { this.i = start; this.syntax('Number out of range') }
    return n
  }

  private literal(word: string, v: boolean | null): boolean | null {
    if (!this.s.startsWith(word, this.i)) this.unexpected()
    this.i += word.length
    return v
  }

  /** Checks a value (syntax and limits) without keeping it: unknown keys cost no memory. */
  skip(depth: number): void {
    const c = this.peek()
    if (c === QUOTE) { this.string(); return }
    if (c === OPEN_OBJECT) {
      const d = this.enter(depth)
      if (this.openObject()) return
      let n = 0
      do {
        this.key()
        this.skip(d)
        this.counted(++n)
      } while (this.more(CLOSE_OBJECT))
      return
    }
    if (c === OPEN_ARRAY) {
      const d = this.enter(depth)
      if (this.openArray()) return
      let n = 0
      do {
        this.skip(d)
        this.counted(++n)
      } while (this.more(CLOSE_ARRAY))
      return
    }
    if (c === 0x74) { this.literal('true', true); return }
    if (c === 0x66) { this.literal('false', false); return }
    if (c === 0x6e) { this.literal('null', null); return }
    this.number()
  }

  /** Is the value here `null`? Consumes it if so. */
  private isNull(): boolean {
    if (this.peek() !== 0x6e) return false
    this.literal('null', null)
    return true
  }

  /** The object starting here, as a message of `type` (the caller checked for `{`). */
  message(type: MessageType, depth: number): Record<string, unknown> {
    const d = this.enter(depth)
    const plan = planOf(type)
    const fields = type.fields
    const slots: unknown[] = new Array(fields.length)
    if (!this.openObject()) {
      let n = 0
      do {
        const at = this.fieldKey(plan)
        this.counted(++n)
        if (at < 0) { this.skip(d); continue }
        const f = fields[at]!
        if (this.isNull()) { slots[at] = undefined; continue }
        if (f.label === 'repeated') slots[at] = this.repeated(f, d)
        else if (f.label === 'map') slots[at] = this.map(f, d)
        else {
          if (this.peek() === OPEN_ARRAY) throw new ProtoJsonError(`Not expecting a JSON array for field '${f.name}'`)
          const p = this.field(f, d)
          if (p === DROP) {
            if (f.label === 'required') throw new ProtoJsonError(`Failed to find enum for '${this.dropped}'`)
            slots[at] = DROPPED
          } else {
            slots[at] = p
          }
        }
      } while (this.more(CLOSE_OBJECT))
    }
    // Fields in the .proto's order, as Mesos writes them back; absent ones take their declared default. A missing
    // required field is only noted: parseJsonText lists them all, with their paths, once the document is read.
    const out: Record<string, unknown> = {}
    for (let i = 0; i < fields.length; i++) {
      const v = slots[i]
      if (v === undefined) {
        const dflt = plan.defaults[i]
        if (dflt !== undefined) out[fields[i]!.name] = dflt
        else if (fields[i]!.label === 'required') this.missing = true
      } else if (v !== DROPPED) {
        out[fields[i]!.name] = v
      }
    }
    return out
  }

  /** A repeated field: an array (null items skipped) or one bare value; undefined when nothing is left. */
  private repeated(f: FieldDef, depth: number): unknown[] | undefined {
    const parsed: unknown[] = []
    if (this.peek() !== OPEN_ARRAY) {
      const p = this.field(f, depth)
      if (p !== DROP) parsed.push(p)
      return parsed.length ? parsed : undefined
    }
    const d = this.enter(depth)
    if (this.openArray()) return undefined
    let n = 0
    do {
      this.counted(++n)
      if (this.isNull()) continue
      const p = this.field(f, d)
      if (p !== DROP) parsed.push(p)
    } while (this.more(CLOSE_ARRAY))
    return parsed.length ? parsed : undefined
  }

  private map(f: FieldDef, depth: number): Record<string, unknown> {
    if (this.peek() !== OPEN_OBJECT) {
      this.kindHere()
      throw new ProtoJsonError(`Expecting a JSON object for map field '${f.name}'`)
    }
    const d = this.enter(depth)
    const m: Record<string, unknown> = {}
    if (this.openObject()) return m
    let n = 0
    do {
      const k = this.key()
      this.counted(++n)
      if (this.isNull()) continue
      const p = this.field(f, d)
      if (p !== DROP) setKey(m, k, p)
    } while (this.more(CLOSE_OBJECT))
    return m
  }

  /** One value of field `f` (an element, for repeated and map fields). */
  private field(f: FieldDef, depth: number): unknown {
    const c = this.peek()
    if (f.kind === 'message') {
      if (c !== OPEN_OBJECT) throw new ProtoJsonError(`Not expecting a JSON ${this.kindHere()} for field '${f.name}'`)
      return this.message(f.message!, depth)
    }
    if (f.kind === 'enum') {
      if (c !== QUOTE) throw new ProtoJsonError(`Not expecting a JSON ${this.kindHere()} for field '${f.name}'`)
      const v = this.string()
      if (f.enumType!.byName.has(v)) return v
      this.dropped = v
      return DROP
    }
    // Scalars: containers are never valid, so they are refused by kind without being read.
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (f.type === 'bytes') throw new ProtoJsonError(`Failed to base64-decode field '${f.name}'`)
      throw new ProtoJsonError(`Not expecting a JSON ${this.kindHere()} for field '${f.name}'`)
    }
    return scalar(f, this.scalarValue())
  }

  /** A string, number or literal (the caller refused containers). */
  private scalarValue(): string | number | boolean | null {
    const c = this.peek()
    if (c === QUOTE) return this.string()
    if (c === 0x74) return this.literal('true', true)
    if (c === 0x66) return this.literal('false', false)
    if (c === 0x6e) return this.literal('null', null)
    return this.number()
  }
}
