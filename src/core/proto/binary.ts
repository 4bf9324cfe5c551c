// Protobuf wire format (application/x-protobuf) over the same normalized objects the JSON codec produces: enums as
// names, bytes as base64 strings, 64-bit integers as numbers. Mesos clients such as mesos-go default to protobuf, so
// every API that takes JSON also takes this.

import { collectMissing, ProtoJsonError } from './json.ts'
import type { FieldDef, MessageType } from './schema.ts'

const WIRE_VARINT = 0
const WIRE_64 = 1
const WIRE_LEN = 2
const WIRE_32 = 5

export function encodeMessage(type: MessageType, obj: Record<string, unknown>): Uint8Array {
  const w = new Writer()
  writeMessage(w, type, obj)
  return w.finish()
}

export function decodeMessage<T = any>(type: MessageType, bytes: Uint8Array): T {
  let out: Record<string, unknown>
  try {
    out = readMessage(type, bytes, 0, bytes.length)
  } catch (err) {
    if (err instanceof ProtoJsonError) throw err
    throw new ProtoJsonError(`Failed to parse body into ${type.fullName.split('.').pop()} protobuf: ${(err as Error).message}`)
  }
  const missing: string[] = []
  collectMissing(type, out, '', missing)
  if (missing.length) throw new ProtoJsonError(`Missing required fields: ${missing.join(', ')}`)
  return out as T
}

// ---------------------------------------------------------------------------------------------- encoding

class Writer {
  private buf = new Uint8Array(256)
  private pos = 0
  private ensure(n: number) {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }
  varint(n: number | bigint) {
    let v = BigInt.asUintN(64, BigInt(n))
    this.ensure(10)
    if (v < 0x80n) { this.buf[this.pos++] = Number(v); return }
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    this.buf[this.pos++] = Number(v)
  }
  tag(no: number, wire: number) { this.varint(no * 8 + wire) }
  bytes(b: Uint8Array) { this.varint(b.length); this.raw(b) }
  raw(b: Uint8Array) { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length }
  fixed32(n: number, signed: boolean) {
    this.ensure(4)
    new DataView(this.buf.buffer).setUint32(this.pos, signed ? n >>> 0 : n, true)
    this.pos += 4
  }
  fixed64(n: number) {
    this.ensure(8)
    new DataView(this.buf.buffer).setBigUint64(this.pos, BigInt.asUintN(64, BigInt(Math.trunc(n))), true)
    this.pos += 8
  }
  double(n: number) { this.ensure(8); new DataView(this.buf.buffer).setFloat64(this.pos, n, true); this.pos += 8 }
  float(n: number) { this.ensure(4); new DataView(this.buf.buffer).setFloat32(this.pos, n, true); this.pos += 4 }
  finish() { return this.buf.slice(0, this.pos) }
}

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

function writeMessage(w: Writer, type: MessageType, obj: Record<string, unknown>) {
  for (const f of type.fields) {
    const v = obj[f.name]
    if (v === undefined || v === null) continue
    if (f.label === 'repeated') {
      for (const item of v as unknown[]) writeField(w, f, f.number, item)
    } else if (f.label === 'map') {
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        const entry = new Writer()
        writeScalar(entry, f.keyType!, 1, f.keyType === 'string' ? k : Number(k))
        writeField(entry, f, 2, item)
        w.tag(f.number, WIRE_LEN)
        w.bytes(entry.finish())
      }
    } else {
      writeField(w, f, f.number, v)
    }
  }
}

function writeField(w: Writer, f: FieldDef, no: number, v: unknown) {
  if (f.kind === 'message') {
    const inner = new Writer()
    writeMessage(inner, f.message!, v as Record<string, unknown>)
    w.tag(no, WIRE_LEN)
    w.bytes(inner.finish())
  } else if (f.kind === 'enum') {
    const n = f.enumType!.byName.get(v as string)
    if (n === undefined) return
    w.tag(no, WIRE_VARINT)
    w.varint(n)
  } else {
    writeScalar(w, f.type, no, v)
  }
}

function writeScalar(w: Writer, type: string, no: number, v: unknown) {
  switch (type) {
    case 'string': w.tag(no, WIRE_LEN); w.bytes(utf8.encode(v as string)); return
    case 'bytes': w.tag(no, WIRE_LEN); w.bytes(Buffer.from(v as string, 'base64')); return
    case 'bool': w.tag(no, WIRE_VARINT); w.varint(v ? 1 : 0); return
    case 'double': w.tag(no, WIRE_64); w.double(v as number); return
    case 'float': w.tag(no, WIRE_32); w.float(v as number); return
    case 'int32': case 'int64': case 'uint32': case 'uint64':
      w.tag(no, WIRE_VARINT); w.varint(Math.trunc(v as number)); return
    case 'sint32': case 'sint64': {
      const n = BigInt(Math.trunc(v as number))
      w.tag(no, WIRE_VARINT); w.varint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n); return
    }
    case 'fixed32': case 'sfixed32': w.tag(no, WIRE_32); w.fixed32(v as number, type === 'sfixed32'); return
    case 'fixed64': case 'sfixed64': w.tag(no, WIRE_64); w.fixed64(v as number); return
  }
}

// ---------------------------------------------------------------------------------------------- decoding

class Reader {
  pos: number
  constructor(readonly buf: Uint8Array, start: number, readonly end: number) { this.pos = start }
  varint(): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint')
      const b = this.buf[this.pos++]!
      result |= BigInt(b & 0x7f) << shift
      if (b < 0x80) return result
      shift += 7n
      if (shift > 70n) throw new Error('varint too long')
    }
  }
  view() { return new DataView(this.buf.buffer, this.buf.byteOffset) }
  skip(wire: number) {
    if (wire === WIRE_VARINT) this.varint()
    else if (wire === WIRE_64) this.pos += 8
    else if (wire === WIRE_32) this.pos += 4
    else if (wire === WIRE_LEN) this.pos += Number(this.varint())
    else throw new Error(`unsupported wire type ${wire}`)
    if (this.pos > this.end) throw new Error('truncated field')
  }
}

function readMessage(type: MessageType, buf: Uint8Array, start: number, end: number): Record<string, unknown> {
  const r = new Reader(buf, start, end)
  const out: Record<string, unknown> = {}
  while (r.pos < end) {
    const key = Number(r.varint())
    const no = key >>> 3
    const wire = key & 7
    const f = type.byNumber.get(no)
    if (!f) { r.skip(wire); continue }
    if (f.label === 'map') {
      const len = Number(r.varint())
      const entryEnd = r.pos + len
      const er = new Reader(buf, r.pos, entryEnd)
      let k: unknown = f.keyType === 'string' ? '' : 0
      let val: unknown
      while (er.pos < entryEnd) {
        const ekey = Number(er.varint())
        if (ekey >>> 3 === 1) k = readScalar(er, f.keyType!, ekey & 7)
        else if (ekey >>> 3 === 2) val = readFieldValue(er, f, ekey & 7)
        else er.skip(ekey & 7)
      }
      r.pos = entryEnd
      const m = (out[f.name] ??= {}) as Record<string, unknown>
      if (val !== undefined && val !== DROP) m[String(k)] = val
      continue
    }
    // Packed repeated scalars/enums.
    if (f.label === 'repeated' && wire === WIRE_LEN && f.kind !== 'message' && f.type !== 'string' && f.type !== 'bytes') {
      const len = Number(r.varint())
      const packedEnd = r.pos + len
      const pr = new Reader(buf, r.pos, packedEnd)
      const arr = (out[f.name] ??= []) as unknown[]
      while (pr.pos < packedEnd) {
        const v = readFieldValue(pr, f, wireFor(f))
        if (v !== DROP) arr.push(v)
      }
      r.pos = packedEnd
      continue
    }
    const v = readFieldValue(r, f, wire)
    if (v === DROP) continue
    if (f.label === 'repeated') ((out[f.name] ??= []) as unknown[]).push(v)
    else if (f.kind === 'message' && out[f.name] !== undefined) {
      // Protobuf merges repeated occurrences of a singular message field.
      Object.assign(out[f.name] as object, v)
    } else out[f.name] = v
  }
  for (const f of type.fields) {
    if (out[f.name] === undefined && f.defaultValue !== undefined && !f.deprecated && f.label !== 'repeated') {
      out[f.name] = f.defaultValue
    }
  }
  return orderLike(type, out)
}

const DROP = Symbol('drop')

function wireFor(f: FieldDef): number {
  if (f.kind === 'enum') return WIRE_VARINT
  switch (f.type) {
    case 'double': case 'fixed64': case 'sfixed64': return WIRE_64
    case 'float': case 'fixed32': case 'sfixed32': return WIRE_32
    default: return WIRE_VARINT
  }
}

function readFieldValue(r: Reader, f: FieldDef, wire: number): unknown {
  if (f.kind === 'message') {
    if (wire !== WIRE_LEN) throw new Error(`field ${f.name}: wrong wire type ${wire}`)
    const len = Number(r.varint())
    const end = r.pos + len
    if (end > r.end) throw new Error('truncated message')
    const m = readMessage(f.message!, r.buf, r.pos, end)
    r.pos = end
    return m
  }
  if (f.kind === 'enum') {
    const n = Number(BigInt.asIntN(32, r.varint()))
    return f.enumType!.byNumber.get(n) ?? DROP
  }
  return readScalar(r, f.type, wire)
}

function readScalar(r: Reader, type: string, wire: number): unknown {
  switch (type) {
    case 'string': case 'bytes': {
      if (wire !== WIRE_LEN) throw new Error(`wrong wire type for ${type}`)
      const len = Number(r.varint())
      const b = r.buf.subarray(r.pos, r.pos + len)
      if (r.pos + len > r.end) throw new Error('truncated bytes')
      r.pos += len
      return type === 'string' ? utf8d.decode(b) : Buffer.from(b).toString('base64')
    }
    case 'bool': return r.varint() !== 0n
    case 'int32': return Number(BigInt.asIntN(32, r.varint()))
    case 'int64': return Number(BigInt.asIntN(64, r.varint()))
    case 'uint32': return Number(BigInt.asUintN(32, r.varint()))
    case 'uint64': return Number(BigInt.asUintN(64, r.varint()))
    case 'sint32': case 'sint64': {
      const n = r.varint()
      return Number((n >> 1n) ^ -(n & 1n))
    }
    case 'double': { const v = r.view().getFloat64(r.pos, true); r.pos += 8; return v }
    case 'float': { const v = r.view().getFloat32(r.pos, true); r.pos += 4; return v }
    case 'fixed32': { const v = r.view().getUint32(r.pos, true); r.pos += 4; return v }
    case 'sfixed32': { const v = r.view().getInt32(r.pos, true); r.pos += 4; return v }
    case 'fixed64': { const v = Number(r.view().getBigUint64(r.pos, true)); r.pos += 8; return v }
    case 'sfixed64': { const v = Number(r.view().getBigInt64(r.pos, true)); r.pos += 8; return v }
  }
  throw new Error(`unknown scalar type ${type}`)
}

/** Declaration order, so binary-decoded objects serialize to JSON exactly like JSON-parsed ones. */
function orderLike(type: MessageType, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of type.fields) if (obj[f.name] !== undefined) out[f.name] = obj[f.name]
  return out
}
