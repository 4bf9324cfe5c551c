// A stub resolver for one question: a query over UDP, asked again over TCP when the answer comes back truncated
// (RFC 1035 §4.2.1), with a timeout. Used by `meso dns lookup`, the tests and the benchmark.

import { connect } from 'node:net'
import { EDNS_UDP_SIZE, queryMessage, type Message } from './message.ts'
import { decodeMessage, encodeMessage } from './wire.ts'

export interface LookupResult { message: Message; transport: 'udp' | 'tcp'; ms: number }

export async function dnsQuery(server: { ip: string; port: number }, name: string, type: number, timeoutMs = 3000): Promise<LookupResult> {
  const started = performance.now()
  const id = (Math.random() * 65536) | 0
  const packet = encodeMessage(queryMessage(id, name, type, EDNS_UDP_SIZE))
  const udp = await queryUdp(server, packet, id, timeoutMs)
  if (!udp.header.tc) return { message: udp, transport: 'udp', ms: performance.now() - started }
  const tcp = await queryTcp(server, packet, id, timeoutMs)
  return { message: tcp, transport: 'tcp', ms: performance.now() - started }
}

function check(bytes: Uint8Array, id: number, server: string): Message {
  const d = decodeMessage(bytes)
  if (!d.ok) throw new Error(`${server} sent an unreadable answer: ${d.error}`)
  if (d.message.header.id !== id) throw new Error(`${server} answered another query (id ${d.message.header.id}, not ${id})`)
  return d.message
}

async function queryUdp(server: { ip: string; port: number }, packet: Uint8Array, id: number, timeoutMs: number): Promise<Message> {
  const where = `${server.ip}:${server.port}`
  let settle!: (m: Message | Error) => void
  const done = new Promise<Message | Error>(r => { settle = r })
  const socket = await Bun.udpSocket({
    socket: {
      data(_s, buf, port, address) {
        if (port !== server.port || address.replace(/^::ffff:/, '') !== server.ip) return
        try { settle(check(new Uint8Array(buf), id, where)) } catch (err) { settle(err as Error) }
      },
    },
  })
  const timer = setTimeout(() => settle(new Error(`no answer from ${where} over UDP within ${timeoutMs} ms`)), timeoutMs)
  try {
    socket.send(packet, server.port, server.ip)
    const r = await done
    if (r instanceof Error) throw r
    return r
  } finally { clearTimeout(timer); socket.close() }
}

function queryTcp(server: { ip: string; port: number }, packet: Uint8Array, id: number, timeoutMs: number): Promise<Message> {
  const where = `${server.ip}:${server.port}`
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0)
    const sock = connect({ host: server.ip, port: server.port })
    const fail = (why: string) => { clearTimeout(timer); sock.destroy(); reject(new Error(`${where} over TCP: ${why}`)) }
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs)
    sock.on('connect', () => {
      const len = Buffer.alloc(2)
      len.writeUInt16BE(packet.length)
      sock.write(Buffer.concat([len, packet]))
    })
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return
      clearTimeout(timer)
      sock.destroy()
      try { resolve(check(new Uint8Array(got.subarray(2, 2 + got.readUInt16BE(0))), id, where)) } catch (err) { reject(err) }
    })
    sock.on('error', err => fail(err.message))
    sock.on('close', () => fail('closed before an answer'))
  })
}
