// The DNS server at the edge, in process on loopback: UDP answers cut to the asker's size with TC and the same query
// answered whole over TCP, several length-prefixed queries on one TCP connection, the per-client TCP connection
// limit, and a forward to an upstream that never answers ending in SERVFAIL after the timeout.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { dnsQuery } from '../../src/core/dns/client.ts'
import { EDNS_UDP_SIZE, queryMessage, RCODE, RR_TYPE } from '../../src/core/dns/message.ts'
import { decodeMessage, encodeMessage } from '../../src/core/dns/wire.ts'
import { Forwarder } from '../../src/master/dns/forwarder.ts'
import { RecordSet } from '../../src/master/dns/record-set.ts'
import { MAX_TCP_CONNECTIONS_PER_CLIENT, startDnsServer, type DnsServer } from '../../src/master/dns/server.ts'

let server: DnsServer
let silent: import('bun').udp.Socket<'buffer'>

beforeAll(async () => {
  const records = new RecordSet()
  // 200 tasks of one name: far more than 512 bytes (or 1232) of answers.
  for (let i = 0; i < 200; i++) records.replace(`task:${i}`, [{ name: 'big.marathon.mesos', type: 'A', value: `10.0.${i >> 8}.${i & 255}` }])
  records.replace('task:small', [{ name: 'small.marathon.mesos', type: 'A', value: '10.9.9.9' }])
  // An upstream that takes queries and never answers.
  silent = await Bun.udpSocket({ hostname: '127.0.0.1', socket: { data() {} } })
  server = await startDnsServer({
    ip: '127.0.0.1', port: 0, view: { records }, forwarder: new Forwarder([{ ip: '127.0.0.1', port: silent.port }], 300),
    cfg: { domain: 'mesos', ttl: 60, recursion: true, serialBase: 0 },
  })
})
afterAll(() => { server?.stop(); silent?.close() })

describe('DNS server', () => {
  test('a big answer is truncated over UDP (TC) and comes whole over TCP', async () => {
    const r = await dnsQuery({ ip: '127.0.0.1', port: server.port }, 'big.marathon.mesos', RR_TYPE.A)
    expect(r.transport).toBe('tcp')
    expect(r.message.answers).toHaveLength(200)
    // Over UDP alone: at most the EDNS size, TC set.
    const raw = await udpAsk(encodeMessage(queryMessage(9, 'big.marathon.mesos', RR_TYPE.A, EDNS_UDP_SIZE)))
    expect(raw.length).toBeLessThanOrEqual(EDNS_UDP_SIZE)
    const d = decodeMessage(raw)
    expect(d.ok && d.message.header.tc).toBe(true)
    const plain = await udpAsk(encodeMessage(queryMessage(10, 'big.marathon.mesos', RR_TYPE.A)))
    expect(plain.length).toBeLessThanOrEqual(512)
  })

  test('several queries on one TCP connection, split across writes', async () => {
    const answers: number[] = []
    let buf = Buffer.alloc(0)
    let conn: import('bun').Socket | undefined
    const done = new Promise<void>(resolve => {
      void Bun.connect({
        hostname: '127.0.0.1', port: server.port,
        socket: {
          data(_s, chunk) {
            buf = Buffer.concat([buf, chunk])
            while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
              const d = decodeMessage(new Uint8Array(buf.subarray(2, 2 + buf.readUInt16BE(0))))
              buf = buf.subarray(2 + buf.readUInt16BE(0))
              if (d.ok) answers.push(d.message.header.id)
              if (answers.length === 3) resolve()
            }
          },
        },
      }).then(async s => {
        conn = s
        const framed = Buffer.concat([1, 2, 3].map(id => {
          const q = encodeMessage(queryMessage(id, 'small.marathon.mesos', RR_TYPE.A))
          const len = Buffer.alloc(2)
          len.writeUInt16BE(q.length)
          return Buffer.concat([len, q])
        }))
        s.write(framed.subarray(0, 7))
        await Bun.sleep(20)
        s.write(framed.subarray(7))
      })
    })
    await done
    conn?.end()
    expect(answers.sort()).toEqual([1, 2, 3])
  })

  test('one client gets a bounded number of TCP connections', async () => {
    await Bun.sleep(50)
    const closed: boolean[] = []
    const sockets = await Promise.all(Array.from({ length: MAX_TCP_CONNECTIONS_PER_CLIENT + 3 }, (_, i) => Bun.connect({
      hostname: '127.0.0.1', port: server.port, socket: { data() {}, close() { closed[i] = true } },
    })))
    await Bun.sleep(200)
    expect(closed.filter(Boolean).length).toBe(3)
    for (const s of sockets) s.end()
    // Released: a new connection works again.
    await Bun.sleep(100)
    expect((await dnsQuery({ ip: '127.0.0.1', port: server.port }, 'small.marathon.mesos', RR_TYPE.A)).message.answers).toHaveLength(1)
  })

  test('an upstream that never answers: SERVFAIL after the forward timeout', async () => {
    const started = Date.now()
    const r = await dnsQuery({ ip: '127.0.0.1', port: server.port }, 'example.com', RR_TYPE.A)
    expect(r.message.header.rcode).toBe(RCODE.SERVFAIL)
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
    expect(server.counters.forwarded).toBeGreaterThanOrEqual(1)
  })
})

async function udpAsk(packet: Uint8Array): Promise<Uint8Array> {
  let resolve!: (b: Uint8Array) => void
  const got = new Promise<Uint8Array>(r => { resolve = r })
  const s = await Bun.udpSocket({ socket: { data(_s, buf) { resolve(new Uint8Array(buf)) } } })
  s.send(packet, server.port, '127.0.0.1')
  const out = await got
  s.close()
  return out
}
