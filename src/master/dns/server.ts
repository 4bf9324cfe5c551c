// meso's DNS server at the edge: UDP and TCP (RFC 1035 §4.2, RFC 7766 length-prefixed messages) on one port. Each
// packet is decoded (wire.ts), answered from the record set (resolver.ts) or forwarded upstream (forwarder.ts), and
// encoded to the asker's size limit. Bounded: TCP connections in all and per client address, bytes buffered per
// connection, idle TCP connections closed, forwarded queries per client address; a packet that cannot be read gets
// FORMERR (or nothing) and never reaches the resolver.

import type { Socket, TCPSocketListener } from 'bun'
import { RCODE, TCP_MAX_SIZE, udpLimit, type Message } from '../../core/dns/message.ts'
import { decodeMessage, encodeMessage } from '../../core/dns/wire.ts'
import { logger } from '../../core/log.ts'
import type { Forwarder } from './forwarder.ts'
import { malformedReply, resolve, type ResolverConfig, type ResolverView } from './resolver.ts'

const log = logger('dns')

export const MAX_TCP_CONNECTIONS = 512
export const MAX_TCP_CONNECTIONS_PER_CLIENT = 32
/** RFC 7766 §6.2.3 suggests seconds, not minutes, for an idle connection. */
export const TCP_IDLE_SECONDS = 10
/** Forwarded queries one client address may have waiting at once; past it, REFUSED. */
export const MAX_FORWARDS_PER_CLIENT = 64

export interface DnsServer {
  readonly port: number
  readonly ip: string
  /** Queries answered, forwarded and refused as malformed since the start; ICMP errors for replies sent. */
  readonly counters: { answered: number; forwarded: number; malformed: number; sendErrors: number }
  stop(): void
}

interface TcpState { client: string; buf: Buffer; closed: boolean }

export interface DnsServerOptions {
  ip: string
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number
  cfg: ResolverConfig
  view: ResolverView
  forwarder: Forwarder
  /** Who may have names outside the domain forwarded (default: everyone); the others get REFUSED. */
  mayForward?: (client: string) => boolean
}

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const counters = { answered: 0, forwarded: 0, malformed: 0, sendErrors: 0 }
  const forwardsByClient = new Map<string, number>()
  const tcpByClient = new Map<string, number>()
  let tcpCount = 0

  /**
   * The reply to one packet: bytes to send (within the asker's limit), or undefined for none; a promise only when the
   * query is forwarded, so that answers from the records cost no promise.
   */
  const handle = (packet: Uint8Array, client: string, transport: 'udp' | 'tcp'): Uint8Array | undefined | Promise<Uint8Array | undefined> => {
    const decoded = decodeMessage(packet)
    if (!decoded.ok) {
      counters.malformed++
      const m = malformedReply(packet, o.cfg)
      return m ? encodeMessage(m) : undefined
    }
    const query = decoded.message
    const limit = transport === 'udp' ? udpLimit(query) : TCP_MAX_SIZE
    let r
    try { r = resolve(query, o.view, o.cfg) } catch (err) {
      log.error(`Failed to answer ${query.questions[0]?.name ?? '?'} for ${client}: ${(err as Error).stack ?? err}`)
      return encodeMessage(errorReply(query, RCODE.SERVFAIL, o.cfg), limit)
    }
    if (r.kind === 'drop') return undefined
    if (r.kind === 'answer') { counters.answered++; return encodeMessage(r.message, limit) }
    const waiting = forwardsByClient.get(client) ?? 0
    if (waiting >= MAX_FORWARDS_PER_CLIENT || (o.mayForward && !o.mayForward(client))) return encodeMessage(errorReply(query, RCODE.REFUSED, o.cfg), limit)
    forwardsByClient.set(client, waiting + 1)
    counters.forwarded++
    return o.forwarder.forward(packet, transport).then(
      answer => (answer && answer.length <= limit ? answer : encodeMessage(errorReply(query, RCODE.SERVFAIL, o.cfg), limit)),
    ).finally(() => {
      const n = (forwardsByClient.get(client) ?? 1) - 1
      if (n <= 0) forwardsByClient.delete(client)
      else forwardsByClient.set(client, n)
    })
  }
  const replyWith = (out: Uint8Array | undefined | Promise<Uint8Array | undefined>, send: (bytes: Uint8Array) => void, who: string) => {
    if (!(out instanceof Promise)) { if (out) send(out); return }
    out.then(bytes => { if (bytes) send(bytes) }).catch(err => log.error(`DNS reply to ${who} failed: ${(err as Error).message}`))
  }

  const bindOnce = async (port: number) => {
    const udp = await Bun.udpSocket({
      hostname: o.ip, port,
      socket: {
        data(socket, buf, rport, address) {
          let out
          try { out = handle(new Uint8Array(buf), address, 'udp') } catch (err) {
            log.error(`DNS query from ${address}:${rport} failed: ${(err as Error).stack ?? err}`)
            return
          }
          replyWith(out, bytes => { socket.send(bytes, rport, address) }, `${address}:${rport}`)
        },
        // An ICMP error for an earlier reply (the asker's port is closed): nothing to do, and nothing to log per packet.
        error() { counters.sendErrors++ },
      },
    })
    let tcp: TCPSocketListener<TcpState>
    try {
      tcp = Bun.listen<TcpState>({
        hostname: o.ip, port: udp.port,
        socket: {
          open(s) {
            const client = s.remoteAddress
            const mine = tcpByClient.get(client) ?? 0
            if (tcpCount >= MAX_TCP_CONNECTIONS || mine >= MAX_TCP_CONNECTIONS_PER_CLIENT) { s.data = { client, buf: Buffer.alloc(0), closed: true }; s.end(); return }
            tcpCount++
            tcpByClient.set(client, mine + 1)
            s.data = { client, buf: Buffer.alloc(0), closed: false }
            s.timeout(TCP_IDLE_SECONDS)
          },
          data(s, chunk) {
            const st = s.data
            if (st.closed) return
            st.buf = st.buf.length ? Buffer.concat([st.buf, chunk]) : Buffer.from(chunk)
            while (st.buf.length >= 2) {
              const len = st.buf.readUInt16BE(0)
              if (st.buf.length < 2 + len) break
              const packet = new Uint8Array(st.buf.subarray(2, 2 + len))
              st.buf = st.buf.subarray(2 + len)
              let out
              try { out = handle(packet, st.client, 'tcp') } catch (err) {
                log.error(`DNS query over TCP from ${st.client} failed: ${(err as Error).stack ?? err}`)
                continue
              }
              replyWith(out, bytes => {
                if (st.closed) return
                const framed = Buffer.alloc(2 + bytes.length)
                framed.writeUInt16BE(bytes.length)
                framed.set(bytes, 2)
                writeAll(s, framed)
              }, `${st.client} over TCP`)
            }
            // At most one message (and its length) is ever buffered: 2 + 65535 bytes.
            if (st.buf.length > 2 + TCP_MAX_SIZE) s.end()
          },
          drain(s) { flush(s) },
          timeout(s) { s.end() },
          close(s) { release(s) },
          error(s) { release(s) },
        },
      })
    } catch (err) {
      udp.close()
      throw err
    }
    return { udp, tcp }
  }

  const pendingWrites = new WeakMap<Socket<TcpState>, Buffer[]>()
  const writeAll = (s: Socket<TcpState>, data: Buffer) => {
    const queue = pendingWrites.get(s)
    if (queue) { queue.push(data); return }
    const n = s.write(data)
    if (n < data.length) pendingWrites.set(s, [data.subarray(Math.max(n, 0))])
  }
  const flush = (s: Socket<TcpState>) => {
    const queue = pendingWrites.get(s)
    while (queue?.length) {
      const head = queue[0]!
      const n = s.write(head)
      if (n < head.length) { queue[0] = head.subarray(Math.max(n, 0)); return }
      queue.shift()
    }
    pendingWrites.delete(s)
  }
  const release = (s: Socket<TcpState>) => {
    const st = s.data
    if (!st || st.closed) return
    st.closed = true
    tcpCount--
    const n = (tcpByClient.get(st.client) ?? 1) - 1
    if (n <= 0) tcpByClient.delete(st.client)
    else tcpByClient.set(st.client, n)
  }

  let bound: Awaited<ReturnType<typeof bindOnce>> | undefined
  let lastError: unknown
  // With port 0 the UDP port is picked first and TCP may find it taken: try a few times.
  for (let attempt = 0; attempt < (o.port === 0 ? 5 : 1) && !bound; attempt++) {
    try { bound = await bindOnce(o.port) } catch (err) { lastError = err }
  }
  if (!bound) throw new Error(`DNS server: cannot listen on ${o.ip}:${o.port} (UDP and TCP): ${(lastError as Error)?.message ?? lastError}; is another DNS server there? choose another --dns_port (0 picks a free one), or --no-dns`)
  const { udp, tcp } = bound
  return {
    port: udp.port, ip: o.ip, counters,
    stop() {
      udp.close()
      tcp.stop(true)
      o.forwarder.close()
    },
  }
}

function errorReply(query: Message, rcode: number, cfg: ResolverConfig): Message {
  return {
    header: { id: query.header.id, qr: true, opcode: query.header.opcode, aa: false, tc: false, rd: query.header.rd, ra: cfg.recursion, rcode },
    questions: query.questions.slice(0, 1), answers: [], authorities: [], additionals: [],
  }
}
