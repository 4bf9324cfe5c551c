// One TCP connection to one ZooKeeper server: connect, the ConnectRequest/ConnectResponse handshake (which has
// no request or reply header, upstream ClientCnxnSocket.readConnectResult), then framed packets both ways. The
// session (which server next, what to send, what a reply means) is client.ts's business. node:net, which Bun
// implements natively, also in a compiled binary.

import { connect, type Socket } from 'node:net'
import { frame, FrameDecoder } from './framing.ts'
import { JuteReader } from './jute.ts'
import { type ConnectRequest, type ConnectResponse, decodeConnectResponse, encodeConnectRequest } from './records.ts'
import { formatServer, type ServerAddress } from './url.ts'

export interface ConnectionHandlers {
  frame(body: Uint8Array): void
  /** The server closed the connection, the socket failed, or a packet could not be framed. Not called after
   * close(). */
  closed(reason: string): void
}

export class ConnectionError extends Error {
  constructor(readonly server: string, reason: string) {
    super(`${server}: ${reason}`)
    this.name = 'ConnectionError'
  }
}

export class Connection {
  private handlers: ConnectionHandlers | undefined
  private early: Uint8Array[] = []
  private done = false
  private lostReason: string | undefined
  private closedByUs = false

  private constructor(readonly server: string, private readonly socket: Socket) {}

  /** Connects and shakes hands; rejects with a ConnectionError naming the server on refusal, a close before the
   * answer, no answer within `timeoutMs`, or `signal` aborting. */
  static open(addr: ServerAddress, request: ConnectRequest, timeoutMs: number, signal?: AbortSignal): Promise<{ conn: Connection; response: ConnectResponse }> {
    const server = formatServer(addr)
    return new Promise((resolve, reject) => {
      const socket = connect({ host: addr.host, port: addr.port })
      socket.setNoDelay(true)
      const conn = new Connection(server, socket)
      const decoder = new FrameDecoder()
      let shaken = false
      const fail = (reason: string) => {
        if (shaken) return conn.lost(reason)
        shaken = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', abort)
        socket.destroy()
        reject(new ConnectionError(server, reason))
      }
      const timer = setTimeout(() => fail(`no handshake within ${timeoutMs}ms`), timeoutMs)
      const abort = () => fail('connection attempt abandoned')
      if (signal?.aborted) abort()
      signal?.addEventListener('abort', abort, { once: true })
      socket.on('connect', () => socket.write(frame(encodeConnectRequest(request))))
      socket.on('data', (chunk: Uint8Array) => {
        let frames: Uint8Array[]
        try {
          frames = decoder.push(chunk)
        } catch (e) {
          return fail(e instanceof Error ? e.message : String(e))
        }
        for (const f of frames) {
          if (shaken) conn.deliver(f)
          else {
            shaken = true
            clearTimeout(timer)
            signal?.removeEventListener('abort', abort)
            try {
              resolve({ conn, response: decodeConnectResponse(new JuteReader(f)) })
            } catch (e) {
              socket.destroy()
              reject(new ConnectionError(server, `bad ConnectResponse: ${e instanceof Error ? e.message : e}`))
            }
          }
        }
      })
      socket.on('error', (e: Error) => fail(e.message))
      socket.on('close', () => fail('connection closed by the server'))
    })
  }

  /** Starts delivering packets, the ones that came right behind the handshake first. */
  attach(handlers: ConnectionHandlers) {
    this.handlers = handlers
    const early = this.early
    this.early = []
    for (const f of early) if (!this.closedByUs) handlers.frame(f)
    if (this.lostReason !== undefined && !this.closedByUs) handlers.closed(this.lostReason)
  }

  send(body: Uint8Array) {
    if (!this.done) this.socket.write(frame(body))
  }

  close() {
    this.done = true
    this.closedByUs = true
    this.socket.destroy()
  }

  private deliver(f: Uint8Array) {
    if (this.done) return
    if (this.handlers) this.handlers.frame(f)
    else this.early.push(f)
  }

  private lost(reason: string) {
    if (this.done) return
    this.done = true
    this.socket.destroy()
    if (this.handlers) this.handlers.closed(reason)
    else this.lostReason = reason // told on attach, after the packets that came before the loss
  }
}
