// The DNS wire format (RFC 1035 §4, RFC 2782 SRV, RFC 3596 AAAA, RFC 6891 OPT): decodeMessage reads a packet with
// every read bounds-checked and returns an error instead of throwing, whatever the bytes; encodeMessage writes a
// message with name compression and drops what does not fit a size limit (setting TC when answers had to go).
// Pure: no sockets.

import { RR_TYPE, type Header, type Message, type Question, type RData, type ResourceRecord } from './message.ts'

/** Longest name on the wire (RFC 1035 §3.1), the root's zero byte included, and longest label. */
const MAX_NAME_WIRE = 255
const MAX_LABEL = 63
/**
 * A packet whose counts promise more records than its bytes could hold is refused before any record is read: the
 * smallest question is 5 bytes (root name, type, class), the smallest record 11.
 */
const MIN_QUESTION = 5
const MIN_RECORD = 11

export type Decoded = { ok: true; message: Message } | { ok: false; error: string; /** set when the header could be read */ id?: number }

class Malformed extends Error {}

class Reader {
  pos = 0
  constructor(readonly buf: Uint8Array) {}
  need(n: number, what: string) { if (this.pos + n > this.buf.length) throw new Malformed(`truncated ${what} at byte ${this.pos}`) }
  u8(what: string): number { this.need(1, what); return this.buf[this.pos++]! }
  u16(what: string): number { this.need(2, what); const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!; this.pos += 2; return v }
  u32(what: string): number { this.need(4, what); const v = ((this.buf[this.pos]! << 24) >>> 0) + (this.buf[this.pos + 1]! << 16) + (this.buf[this.pos + 2]! << 8) + this.buf[this.pos + 3]!; this.pos += 4; return v }
  bytes(n: number, what: string): Uint8Array { this.need(n, what); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b }

  /**
   * A name, following compression pointers. Every pointer must point strictly before the start of the labels read
   * since the previous jump (the name's own start at first), so targets strictly decrease and a loop is impossible;
   * the total length is bounded as on the wire.
   */
  name(what: string): string {
    const labels: string[] = []
    let wireLength = 1
    let at = this.pos
    let jumped = false
    let lowest = at
    for (;;) {
      if (at >= this.buf.length) throw new Malformed(`truncated ${what} name at byte ${at}`)
      const len = this.buf[at]!
      if (len === 0) { at += 1; break }
      const kind = len & 0xc0
      if (kind === 0xc0) {
        if (at + 1 >= this.buf.length) throw new Malformed(`truncated compression pointer in ${what} name at byte ${at}`)
        const target = ((len & 0x3f) << 8) | this.buf[at + 1]!
        if (target >= lowest) throw new Malformed(`compression pointer in ${what} name at byte ${at} does not point backwards (to ${target})`)
        if (!jumped) { this.pos = at + 2; jumped = true }
        lowest = target
        at = target
        continue
      }
      if (kind !== 0) throw new Malformed(`unsupported label type 0x${kind.toString(16)} in ${what} name at byte ${at}`)
      if (at + 1 + len > this.buf.length) throw new Malformed(`truncated label in ${what} name at byte ${at}`)
      wireLength += len + 1
      if (wireLength > MAX_NAME_WIRE) throw new Malformed(`${what} name longer than ${MAX_NAME_WIRE} bytes`)
      labels.push(labelText(this.buf.subarray(at + 1, at + 1 + len)))
      at += 1 + len
    }
    if (!jumped) this.pos = at
    return labels.join('.')
  }
}

function labelText(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) {
    if (b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c) s += String.fromCharCode(b)
    else s += `\\${String(b).padStart(3, '0')}`
  }
  return s
}

/** The labels of a name in text form, `\DDD` and `\X` escapes resolved; throws on a label or name too long. */
export function nameLabels(name: string): Uint8Array[] {
  if (name === '' || name === '.') return []
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name
  const labels: Uint8Array[] = []
  let cur: number[] = []
  let wire = 1
  const flush = () => {
    if (!cur.length) throw new Error(`empty label in name '${name}'`)
    if (cur.length > MAX_LABEL) throw new Error(`label longer than ${MAX_LABEL} bytes in name '${name}'`)
    wire += cur.length + 1
    labels.push(Uint8Array.from(cur))
    cur = []
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '.') { flush(); continue }
    if (c === '\\' && i + 1 < text.length) {
      const digits = text.slice(i + 1, i + 4)
      if (/^\d{3}$/.test(digits) && Number(digits) <= 255) { cur.push(Number(digits)); i += 3 } else { cur.push(text.charCodeAt(i + 1) & 0xff); i += 1 }
      continue
    }
    const code = text.charCodeAt(i)
    if (code > 0xff) throw new Error(`name '${name}' has a character outside Latin-1 (use its IDNA form)`)
    cur.push(code)
  }
  flush()
  if (wire > MAX_NAME_WIRE) throw new Error(`name '${name}' is longer than ${MAX_NAME_WIRE} bytes on the wire`)
  return labels
}

function ipv4Text(b: Uint8Array): string { return `${b[0]}.${b[1]}.${b[2]}.${b[3]}` }

function ipv6Text(b: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!)
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let best = -1, bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) { best = i; bestLen = j - i }
    i = j
  }
  const hex = groups.map(g => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

export function parseIpv4(text: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return undefined
  const b = m.slice(1).map(Number)
  return b.every(x => x <= 255) ? Uint8Array.from(b) : undefined
}

export function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined
  let head = text, tail = ''
  const dbl = text.indexOf('::')
  if (dbl >= 0) { head = text.slice(0, dbl); tail = text.slice(dbl + 2); if (tail.includes('::')) return undefined }
  const parse = (part: string): number[] | undefined => {
    if (part === '') return []
    const out: number[] = []
    const pieces = part.split(':')
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p)
        if (!v4) return undefined
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined
        out.push(parseInt(p, 16))
      }
    }
    return out
  }
  const h = parse(head), t = parse(tail)
  if (!h || !t) return undefined
  const missing = 8 - h.length - t.length
  if (dbl >= 0 ? missing < 1 : missing !== 0) return undefined
  const groups = [...h, ...new Array<number>(dbl >= 0 ? missing : 0).fill(0), ...t]
  const out = new Uint8Array(16)
  groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff })
  return out
}

function readRData(r: Reader, type: number, length: number): RData {
  const end = r.pos + length
  r.need(length, 'record data')
  const done = (d: RData): RData => {
    if (r.pos !== end) throw new Malformed(`record data of type ${type} is ${length} bytes but its fields take ${length - (end - r.pos)}`)
    return d
  }
  switch (type) {
    case RR_TYPE.A: if (length !== 4) throw new Malformed(`A record data is ${length} bytes, not 4`); return { kind: 'A', address: ipv4Text(r.bytes(4, 'A address')) }
    case RR_TYPE.AAAA: if (length !== 16) throw new Malformed(`AAAA record data is ${length} bytes, not 16`); return { kind: 'AAAA', address: ipv6Text(r.bytes(16, 'AAAA address')) }
    case RR_TYPE.SRV: return done({ kind: 'SRV', priority: r.u16('SRV priority'), weight: r.u16('SRV weight'), port: r.u16('SRV port'), target: r.name('SRV target') })
    case RR_TYPE.NS: return done({ kind: 'NS', host: r.name('NS') })
    case RR_TYPE.CNAME: return done({ kind: 'CNAME', host: r.name('CNAME') })
    case RR_TYPE.SOA: return done({ kind: 'SOA', mname: r.name('SOA mname'), rname: r.name('SOA rname'), serial: r.u32('SOA serial'), refresh: r.u32('SOA refresh'), retry: r.u32('SOA retry'), expire: r.u32('SOA expire'), minimum: r.u32('SOA minimum') })
    default: return { kind: 'raw', bytes: r.bytes(length, 'record data').slice() }
  }
}

function readRecord(r: Reader): ResourceRecord {
  const name = r.name('record')
  const type = r.u16('record type')
  const klass = r.u16('record class')
  const ttl = r.u32('record TTL')
  const length = r.u16('record data length')
  // The data ends where its length says, even when a name inside it points elsewhere.
  const start = r.pos
  const data = readRData(r, type, length)
  r.pos = start + length
  return { name, type, class: klass, ttl, data }
}

/** Reads a DNS message; never throws. */
export function decodeMessage(buf: Uint8Array): Decoded {
  if (buf.length < 12) return { ok: false, error: `message of ${buf.length} bytes is shorter than a header (12)` }
  const r = new Reader(buf)
  const id = r.u16('id')
  try {
    const flags = r.u16('flags')
    const header: Header = {
      id, qr: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, aa: (flags & 0x0400) !== 0, tc: (flags & 0x0200) !== 0,
      rd: (flags & 0x0100) !== 0, ra: (flags & 0x0080) !== 0, rcode: flags & 0xf,
    }
    const qd = r.u16('count'), an = r.u16('count'), ns = r.u16('count'), ar = r.u16('count')
    if (qd * MIN_QUESTION + (an + ns + ar) * MIN_RECORD > buf.length - 12) {
      return { ok: false, id, error: `counts (${qd} questions, ${an + ns + ar} records) do not fit in ${buf.length} bytes` }
    }
    const questions: Question[] = []
    for (let i = 0; i < qd; i++) questions.push({ name: r.name('question'), type: r.u16('question type'), class: r.u16('question class') })
    const section = (n: number) => { const out: ResourceRecord[] = []; for (let i = 0; i < n; i++) out.push(readRecord(r)); return out }
    const answers = section(an), authorities = section(ns), additionals = section(ar)
    return { ok: true, message: { header, questions, answers, authorities, additionals } }
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, id, error: err.message }
    return { ok: false, id, error: `unreadable message: ${(err as Error).message}` }
  }
}

/** Printable ASCII without '\\': written without parsing escapes. */
const PLAIN_NAME = /^[\x21-\x5b\x5d-\x7e]*$/

class Writer {
  buf = new Uint8Array(512)
  pos = 0
  /** Lower-cased name suffix → offset of its first occurrence, for compression (offsets below 0x4000 only). */
  names = new Map<string, number>()

  ensure(n: number) {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }
  u8(v: number) { this.ensure(1); this.buf[this.pos++] = v & 0xff }
  u16(v: number) { this.ensure(2); this.buf[this.pos++] = (v >> 8) & 0xff; this.buf[this.pos++] = v & 0xff }
  u32(v: number) { this.ensure(4); this.u16((v >>> 16) & 0xffff); this.u16(v & 0xffff) }
  bytes(b: Uint8Array) { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length }
  setU16(at: number, v: number) { this.buf[at] = (v >> 8) & 0xff; this.buf[at + 1] = v & 0xff }

  name(name: string, compress = true) {
    const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name
    if (PLAIN_NAME.test(text)) { this.plainName(text, compress); return }
    const labels = nameLabels(name)
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).map(l => Buffer.from(l).toString('latin1').toLowerCase()).join('.')
      const at = compress ? this.names.get(key) : undefined
      if (at !== undefined) { this.u16(0xc000 | at); return }
      if (compress && this.pos < 0x4000) this.names.set(key, this.pos)
      this.u8(labels[i]!.length)
      this.bytes(labels[i]!)
    }
    this.u8(0)
  }

  /** A name of printable ASCII without escapes (nearly every name): labels and suffix keys straight from the text. */
  private plainName(text: string, compress: boolean) {
    if (text.length > MAX_NAME_WIRE - 2) throw new Error(`name '${text}' is longer than ${MAX_NAME_WIRE} bytes on the wire`)
    const lower = compress ? text.toLowerCase() : text
    let start = 0
    while (start < text.length) {
      if (compress) {
        const at = this.names.get(lower.slice(start))
        if (at !== undefined) { this.u16(0xc000 | at); return }
        if (this.pos < 0x4000) this.names.set(lower.slice(start), this.pos)
      }
      let end = text.indexOf('.', start)
      if (end < 0) end = text.length
      const len = end - start
      if (len === 0) throw new Error(`empty label in name '${text}'`)
      if (len > MAX_LABEL) throw new Error(`label longer than ${MAX_LABEL} bytes in name '${text}'`)
      this.ensure(len + 1)
      this.buf[this.pos++] = len
      for (let i = start; i < end; i++) this.buf[this.pos++] = text.charCodeAt(i)
      start = end + 1
    }
    this.u8(0)
  }

  /** Forgets compression targets written at or after `pos` (a record rolled back). */
  rollback(pos: number) {
    this.pos = pos
    for (const [k, at] of this.names) if (at >= pos) this.names.delete(k)
  }
}

/** Parsed IPv4 addresses, bounded: a cluster's addresses repeat in every answer. */
const ipv4Cache = new Map<string, Uint8Array>()
function ipv4Bytes(text: string): Uint8Array | undefined {
  const have = ipv4Cache.get(text)
  if (have) return have
  const b = parseIpv4(text)
  if (!b) return undefined
  if (ipv4Cache.size >= 65536) ipv4Cache.clear()
  ipv4Cache.set(text, b)
  return b
}

function writeRData(w: Writer, d: RData, type: number) {
  const lengthAt = w.pos
  w.u16(0)
  const start = w.pos
  switch (d.kind) {
    case 'A': { const b = ipv4Bytes(d.address); if (!b) throw new Error(`'${d.address}' is not an IPv4 address`); w.bytes(b); break }
    case 'AAAA': { const b = parseIpv6(d.address); if (!b) throw new Error(`'${d.address}' is not an IPv6 address`); w.bytes(b); break }
    // RFC 2782: the SRV target is not compressed.
    case 'SRV': w.u16(d.priority); w.u16(d.weight); w.u16(d.port); w.name(d.target, false); break
    case 'NS': case 'CNAME': w.name(d.host); break
    case 'SOA': w.name(d.mname); w.name(d.rname); w.u32(d.serial); w.u32(d.refresh); w.u32(d.retry); w.u32(d.expire); w.u32(d.minimum); break
    case 'raw': w.bytes(d.bytes)
  }
  if (d.kind !== 'raw' && type === RR_TYPE.OPT) throw new Error('OPT record data must be raw')
  w.setU16(lengthAt, w.pos - start)
}

function writeRecord(w: Writer, r: ResourceRecord) {
  w.name(r.name)
  w.u16(r.type)
  w.u16(r.class)
  w.u32(r.ttl >>> 0)
  writeRData(w, r.data, r.type)
}

/**
 * Writes a message. With `maxSize`, records are written while they fit: an answer or authority record that does
 * not fit ends the message with TC set (the asker retries over TCP); additional records that do not fit are left out
 * without TC (RFC 2181 §9), an OPT record first so that it survives.
 */
export function encodeMessage(m: Message, maxSize = 65535): Uint8Array {
  const w = new Writer()
  const h = m.header
  w.u16(h.id)
  const flagsAt = w.pos
  w.u16(0)
  const countsAt = w.pos
  w.u16(0); w.u16(0); w.u16(0); w.u16(0)
  for (const q of m.questions) { w.name(q.name); w.u16(q.type); w.u16(q.class) }
  let tc = h.tc
  const counts = [m.questions.length, 0, 0, 0]
  const sections: [ResourceRecord[], number, boolean][] = [
    [m.answers, 1, true], [m.authorities, 2, true],
    [[...m.additionals.filter(r => r.type === RR_TYPE.OPT), ...m.additionals.filter(r => r.type !== RR_TYPE.OPT)], 3, false],
  ]
  outer: for (const [records, index, truncates] of sections) {
    for (const rec of records) {
      const before = w.pos
      writeRecord(w, rec)
      if (w.pos > maxSize) {
        w.rollback(before)
        if (truncates) { tc = true; break outer }
        break
      }
      counts[index]!++
    }
  }
  const flags = (h.qr ? 0x8000 : 0) | ((h.opcode & 0xf) << 11) | (h.aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (h.rd ? 0x0100 : 0) | (h.ra ? 0x0080 : 0) | (h.rcode & 0xf)
  w.setU16(flagsAt, flags)
  counts.forEach((c, i) => w.setU16(countsAt + 2 * i, c))
  return w.buf.slice(0, w.pos)
}
