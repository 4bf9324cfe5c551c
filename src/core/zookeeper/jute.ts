// Jute, ZooKeeper's binary record encoding (upstream zookeeper-jute: BinaryOutputArchive.java and
// BinaryInputArchive.java): big-endian fixed-width numbers, a boolean is one byte, a buffer or ustring is an int
// length (-1 for null) then the bytes, a vector is an int count (-1 for null) then the elements. Records are just
// their fields in order, with no tags; the shapes live in records.ts.

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

export class JuteError extends Error {}

/** Appends jute fields to a growing buffer. */
export class JuteWriter {
  private buf = new Uint8Array(256)
  private view = new DataView(this.buf.buffer)
  private len = 0

  /** Makes room for `n` more bytes, at least doubling so that appends stay amortized O(1). */
  private reserve(n: number) {
    if (this.len + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.len + n, this.buf.length * 2))
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  int(v: number): this {
    this.reserve(4)
    this.view.setInt32(this.len, v)
    this.len += 4
    return this
  }

  long(v: bigint): this {
    this.reserve(8)
    this.view.setBigInt64(this.len, v)
    this.len += 8
    return this
  }

  bool(v: boolean): this {
    this.reserve(1)
    this.buf[this.len++] = v ? 1 : 0
    return this
  }

  buffer(v: Uint8Array | null): this {
    if (v === null) return this.int(-1)
    this.int(v.length)
    this.reserve(v.length)
    this.buf.set(v, this.len)
    this.len += v.length
    return this
  }

  ustring(v: string | null): this {
    return this.buffer(v === null ? null : utf8.encode(v))
  }

  vector<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.int(-1)
    this.int(items.length)
    for (const item of items) each(this, item)
    return this
  }

  /** Appends already-encoded bytes (a nested record written by another writer). */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length)
    this.buf.set(bytes, this.len)
    this.len += bytes.length
    return this
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

/** Reads jute fields from one whole frame; running past its end is a JuteError, never a silent zero. */
export class JuteReader {
  private readonly view: DataView
  private pos = 0

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get remaining(): number {
    return this.buf.length - this.pos
  }

  private need(n: number, what: string) {
    if (this.pos + n > this.buf.length) throw new JuteError(`jute: ${what} needs ${n} bytes at offset ${this.pos}, frame has ${this.buf.length}`)
  }

  int(): number {
    this.need(4, 'int')
    const v = this.view.getInt32(this.pos)
    this.pos += 4
    return v
  }

  long(): bigint {
    this.need(8, 'long')
    const v = this.view.getBigInt64(this.pos)
    this.pos += 8
    return v
  }

  bool(): boolean {
    this.need(1, 'boolean')
    return this.buf[this.pos++] !== 0
  }

  buffer(): Uint8Array | null {
    const n = this.int()
    if (n < 0) return null
    this.need(n, 'buffer')
    const v = this.buf.slice(this.pos, this.pos + n)
    this.pos += n
    return v
  }

  ustring(): string | null {
    const b = this.buffer()
    return b === null ? null : fromUtf8.decode(b)
  }

  vector<T>(each: (r: this) => T): T[] | null {
    const n = this.int()
    if (n < 0) return null
    // Each element takes at least one byte: a count beyond what is left is a corrupt frame, not an allocation.
    if (n > this.remaining) throw new JuteError(`jute: vector of ${n} elements at offset ${this.pos - 4} exceeds the frame`)
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(each(this))
    return out
  }
}
