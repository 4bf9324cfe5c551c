// ZooKeeper's wire framing: every packet, both ways, is a 4-byte big-endian length then that many bytes
// (ClientCnxnSocketNIO.java reads `lenBuffer` then `incomingBuffer`). Pure: feed chunks, get whole frames.

/** The Java client refuses packets over jute.maxbuffer (about 1 MiB by default); 16 MiB leaves room for large
 * children lists while still catching a corrupt length before it allocates gigabytes. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024

export class FrameError extends Error {}

export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length)
  new DataView(out.buffer).setInt32(0, body.length)
  out.set(body, 4)
  return out
}

export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0)

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  push(chunk: Uint8Array): Uint8Array[] {
    // A node:net Buffer's slice() is a view, not a copy; a plain Uint8Array over the same bytes slices by copying.
    if (this.buf.length === 0) this.buf = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    else {
      const joined = new Uint8Array(this.buf.length + chunk.length)
      joined.set(this.buf)
      joined.set(chunk, this.buf.length)
      this.buf = joined
    }
    const frames: Uint8Array[] = []
    let pos = 0
    while (this.buf.length - pos >= 4) {
      const len = new DataView(this.buf.buffer, this.buf.byteOffset + pos, 4).getInt32(0)
      if (len < 0 || len > this.maxBytes) throw new FrameError(`ZooKeeper packet length ${len} is out of range (0..${this.maxBytes})`)
      if (this.buf.length - pos - 4 < len) break
      frames.push(this.buf.slice(pos + 4, pos + 4 + len))
      pos += 4 + len
    }
    this.buf = pos === this.buf.length ? new Uint8Array(0) : this.buf.slice(pos)
    return frames
  }
}
