// Writing lines to a Bun socket without losing any: Socket.write takes what the kernel buffer has room for and
// returns the count, the rest waits here for the socket's `drain`. Both ends of the log rotator's socket need it:
// a restarted agent re-adopts 2,000 streams in one burst, and the rotator tells it about 2,000 ended ones at once.

import type { Socket } from 'bun'

export class SocketLines {
  private queue: Uint8Array[] = []
  private readonly encoder = new TextEncoder()

  constructor(private readonly socket: Socket<unknown>) {}

  send(line: string) {
    this.queue.push(this.encoder.encode(line))
    if (this.queue.length === 1) this.flush()
  }

  /** Writes what the socket takes; call from the socket's `drain` handler too. */
  flush() {
    while (this.queue.length) {
      const head = this.queue[0]!
      const n = this.socket.write(head)
      if (n < 0) { this.queue = []; return } // closed: nothing will ever drain
      if (n < head.length) { this.queue[0] = head.subarray(n); return }
      this.queue.shift()
    }
  }
}
