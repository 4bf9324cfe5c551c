// RecordIO framing used by every Mesos streaming API: `<decimal byte length>\n<bytes>`, no trailing newline.
// Writers emit one record per HTTP chunk (some clients split chunks on '\n'); readers accept any chunking.

const enc = new TextEncoder()

/** Frames one record. Strings are UTF-8 encoded; the length counts bytes, not characters. */
export function frame(data: string | Uint8Array): Uint8Array {
  const body = typeof data === 'string' ? enc.encode(data) : data
  const head = enc.encode(`${body.length}\n`)
  const out = new Uint8Array(head.length + body.length)
  out.set(head, 0)
  out.set(body, head.length)
  return out
}

export class RecordIOError extends Error {}

/** Incremental decoder: feed chunks, get whole records back. */
export class RecordIODecoder {
  private buf: Uint8Array = new Uint8Array(0)
  private need = -1
  constructor(private readonly maxRecordBytes = 64 * 1024 * 1024) {}

  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length ? concat(this.buf, chunk) : chunk
    const records: Uint8Array[] = []
    let pos = 0
    for (;;) {
      if (this.need < 0) {
        const nl = this.buf.indexOf(10, pos)
        if (nl < 0) break
        const line = new TextDecoder().decode(this.buf.subarray(pos, nl)).trim()
        pos = nl + 1
        if (line === '') continue // tolerate blank lines between records
        if (!/^\d+$/.test(line)) throw new RecordIOError(`Invalid RecordIO length '${line.slice(0, 20)}'`)
        const n = Number(line)
        if (n > this.maxRecordBytes) throw new RecordIOError(`RecordIO record of ${n} bytes exceeds the limit`)
        this.need = n
      }
      if (this.buf.length - pos < this.need) break
      records.push(this.buf.slice(pos, pos + this.need))
      pos += this.need
      this.need = -1
    }
    this.buf = pos >= this.buf.length ? new Uint8Array(0) : this.buf.slice(pos)
    return records
  }

  /** True when no partial record is pending (a clean end of stream). */
  get idle(): boolean {
    return this.need < 0 && this.buf.every(b => b === 10 || b === 13 || b === 32)
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** Reads a RecordIO-framed byte stream record by record. */
export async function* readRecords(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const dec = new RecordIODecoder()
  const reader = stream.getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      for (const r of dec.push(value)) yield r
    }
  } finally {
    reader.releaseLock()
  }
}
