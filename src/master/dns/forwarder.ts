// Forwards queries for names outside the domain to the upstream resolvers, in order, each with a timeout (Mesos-DNS
// exchanger/forwarder.go): over UDP for UDP askers (a truncated upstream answer is passed on, so the asker retries
// over TCP) and over TCP for TCP askers. UDP queries leave through one socket with ids of our own, mapped back to the
// asker's; an answer is accepted only from the upstream asked, with the id given. In-flight queries are bounded.

import { connect } from 'node:net'
import { logger } from '../../core/log.ts'
import { upstreamText, type Upstream } from './upstreams.ts'

const log = logger('dns')

/** Forwarded queries waiting for an upstream at once; past it, queries fail at once (SERVFAIL). */
export const MAX_IN_FLIGHT = 1024

interface Pending { upstream: Upstream; done: (answer: Uint8Array | undefined) => void; timer: ReturnType<typeof setTimeout> }

export class Forwarder {
  private socket?: import('bun').udp.Socket<'buffer'>
  private readonly pending = new Map<number, Pending>()
  private inFlight = 0
  private closed = false

  constructor(readonly upstreams: Upstream[], private readonly timeoutMs: number) {}

  get enabled(): boolean { return this.upstreams.length > 0 }

  /** The upstream's answer, with the asker's id; undefined when every upstream failed or too many are in flight. */
  async forward(packet: Uint8Array, transport: 'udp' | 'tcp'): Promise<Uint8Array | undefined> {
    if (this.closed || !this.upstreams.length || packet.length < 12 || this.inFlight >= MAX_IN_FLIGHT) return undefined
    this.inFlight++
    try {
      for (const u of this.upstreams) {
        const answer = transport === 'udp' ? await this.viaUdp(u, packet) : await this.viaTcp(u, packet)
        if (answer) return answer
      }
      return undefined
    } finally { this.inFlight-- }
  }

  close() {
    this.closed = true
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.done(undefined) }
    this.pending.clear()
    this.socket?.close()
  }

  private async udpSocket() {
    if (this.socket) return this.socket
    this.socket = await Bun.udpSocket({
      socket: {
        data: (_s, buf, port, address) => {
          if (buf.length < 12) return
          const id = (buf[0]! << 8) | buf[1]!
          const p = this.pending.get(id)
          if (!p || p.upstream.port !== port || p.upstream.ip !== address.replace(/^::ffff:/, '')) return
          this.pending.delete(id)
          clearTimeout(p.timer)
          p.done(new Uint8Array(buf))
        },
      },
    })
    return this.socket
  }

  private async viaUdp(u: Upstream, packet: Uint8Array): Promise<Uint8Array | undefined> {
    const socket = await this.udpSocket()
    let id: number
    do id = (Math.random() * 65536) | 0; while (this.pending.has(id))
    const out = packet.slice()
    out[0] = id >> 8; out[1] = id & 0xff
    const answer = await new Promise<Uint8Array | undefined>(resolve => {
      const timer = setTimeout(() => { this.pending.delete(id); log.warn(`Forwarding to ${upstreamText(u)} timed out after ${this.timeoutMs} ms`); resolve(undefined) }, this.timeoutMs)
      this.pending.set(id, { upstream: u, done: resolve, timer })
      try { socket.send(out, u.port, u.ip) } catch (err) {
        clearTimeout(timer); this.pending.delete(id)
        log.warn(`Forwarding to ${upstreamText(u)} failed: ${(err as Error).message}`)
        resolve(undefined)
      }
    })
    if (answer) { answer[0] = packet[0]!; answer[1] = packet[1]! }
    return answer
  }

  private viaTcp(u: Upstream, packet: Uint8Array): Promise<Uint8Array | undefined> {
    return new Promise(resolve => {
      let got = Buffer.alloc(0)
      let settled = false
      const finish = (answer: Uint8Array | undefined, why?: string) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        sock.destroy()
        if (why) log.warn(`Forwarding over TCP to ${upstreamText(u)} failed: ${why}`)
        resolve(answer)
      }
      const sock = connect({ host: u.ip, port: u.port })
      const timer = setTimeout(() => finish(undefined, `no answer within ${this.timeoutMs} ms`), this.timeoutMs)
      sock.on('connect', () => {
        const len = Buffer.alloc(2)
        len.writeUInt16BE(packet.length)
        sock.write(Buffer.concat([len, packet]))
      })
      sock.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk])
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) finish(new Uint8Array(got.subarray(2, 2 + got.readUInt16BE(0))))
      })
      sock.on('error', err => finish(undefined, err.message))
      sock.on('close', () => finish(undefined, 'connection closed before an answer'))
    })
  }
}
