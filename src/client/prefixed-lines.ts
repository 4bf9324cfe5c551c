// A writable that starts every line with a prefix (`[build] `), for the output of several pipeline steps on one
// terminal: only whole lines are written, so steps running at once interleave by line, never mid-line.

import { Writable } from 'node:stream'

export class PrefixedLines extends Writable {
  private partial = Buffer.alloc(0)

  constructor(private readonly prefix: string, private readonly out: NodeJS.WritableStream) {
    super({
      write: (chunk: Buffer, _enc, done) => { this.take(Buffer.from(chunk)); done() },
    })
  }

  private take(bytes: Buffer) {
    let data = this.partial.length ? Buffer.concat([this.partial, bytes]) : bytes
    let nl = data.indexOf(10)
    const lines: Buffer[] = []
    while (nl >= 0) {
      lines.push(Buffer.from(this.prefix), data.subarray(0, nl + 1))
      data = data.subarray(nl + 1)
      nl = data.indexOf(10)
    }
    this.partial = Buffer.from(data)
    if (lines.length) this.out.write(Buffer.concat(lines))
  }

  /** Writes the last line when it had no newline (ending it with one). */
  flushPartial() {
    if (!this.partial.length) return
    this.out.write(Buffer.concat([Buffer.from(this.prefix), this.partial, Buffer.from('\n')]))
    this.partial = Buffer.alloc(0)
  }
}
