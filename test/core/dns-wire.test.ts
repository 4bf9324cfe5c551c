import { describe, expect, test } from 'bun:test'
import { queryMessage, RR_TYPE, udpLimit, type Message, type ResourceRecord } from '../../src/core/dns/message.ts'
import { decodeMessage, encodeMessage, nameLabels, parseIpv6 } from '../../src/core/dns/wire.ts'

const response = (answers: ResourceRecord[], additionals: ResourceRecord[] = []): Message => ({
  header: { id: 4660, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, rcode: 0 },
  questions: [{ name: 'web.marathon.mesos', type: RR_TYPE.A, class: 1 }], answers, authorities: [], additionals,
})
const a = (name: string, address: string): ResourceRecord => ({ name, type: RR_TYPE.A, class: 1, ttl: 60, data: { kind: 'A', address } })

function decodeOk(buf: Uint8Array): Message {
  const d = decodeMessage(buf)
  if (!d.ok) throw new Error(d.error)
  return d.message
}

describe('DNS wire codec', () => {
  test('a query round-trips, header bits included', () => {
    const q = queryMessage(0xbeef, 'Web.Marathon.mesos', RR_TYPE.SRV, 1232)
    const back = decodeOk(encodeMessage(q))
    expect(back.header).toEqual(q.header)
    expect(back.questions).toEqual([{ name: 'Web.Marathon.mesos', type: RR_TYPE.SRV, class: 1 }])
    expect(udpLimit(back)).toBe(1232)
    expect(udpLimit(decodeOk(encodeMessage(queryMessage(1, 'x.mesos', 1))))).toBe(512)
  })

  test('every record type meso writes round-trips', () => {
    const m = response([
      a('web.marathon.mesos', '10.0.0.2'),
      { name: 'web.marathon.mesos', type: RR_TYPE.AAAA, class: 1, ttl: 60, data: { kind: 'AAAA', address: 'fd01:b::2:8000:2' } },
      { name: '_web._tcp.marathon.mesos', type: RR_TYPE.SRV, class: 1, ttl: 60, data: { kind: 'SRV', priority: 0, weight: 0, port: 31000, target: 'web-abcde-s0.marathon.slave.mesos' } },
      { name: 'mesos', type: RR_TYPE.SOA, class: 1, ttl: 60, data: { kind: 'SOA', mname: 'ns1.mesos', rname: 'root.ns1.mesos', serial: 4000000000, refresh: 60, retry: 600, expire: 86400, minimum: 60 } },
      { name: 'mesos', type: RR_TYPE.NS, class: 1, ttl: 60, data: { kind: 'NS', host: 'ns1.mesos' } },
      { name: 'x.mesos', type: RR_TYPE.TXT, class: 1, ttl: 5, data: { kind: 'raw', bytes: Uint8Array.from([3, 97, 98, 99]) } },
    ])
    expect(decodeOk(encodeMessage(m))).toEqual(m)
  })

  test('names are compressed: a repeated suffix costs two bytes', () => {
    const one = encodeMessage(response([a('web.marathon.mesos', '10.0.0.2')]))
    const two = encodeMessage(response([a('web.marathon.mesos', '10.0.0.2'), a('web.marathon.mesos', '10.0.0.3')]))
    // The second record: pointer (2) + type, class, ttl, length (10) + address (4).
    expect(two.length - one.length).toBe(16)
    expect(decodeOk(two).answers.map(r => r.data)).toEqual([{ kind: 'A', address: '10.0.0.2' }, { kind: 'A', address: '10.0.0.3' }])
  })

  test('a response over the size limit drops additionals silently, then answers with TC', () => {
    const many = Array.from({ length: 100 }, (_, i) => a('web.marathon.mesos', `10.0.${i >> 8}.${i & 255}`))
    const extra = [a('extra.mesos', '10.1.1.1')]
    const cut = decodeOk(encodeMessage(response(many, extra), 512))
    expect(cut.header.tc).toBe(true)
    expect(cut.answers.length).toBeGreaterThan(10)
    expect(cut.answers.length).toBeLessThan(100)
    expect(cut.additionals).toEqual([])
    expect(encodeMessage(response(many, extra), 512).length).toBeLessThanOrEqual(512)
    const fits = decodeOk(encodeMessage(response(many.slice(0, 2), [a('extra.mesos', '10.1.1.1')]), 70))
    expect(fits.header.tc).toBe(false)
    expect(fits.additionals).toEqual([])
  })

  test('escapes: a label holding a dot stays one label', () => {
    expect(nameLabels('a\\.b.mesos').map(l => Buffer.from(l).toString())).toEqual(['a.b', 'mesos'])
    const q = queryMessage(1, 'a\\.b.mesos', 1)
    expect(decodeOk(encodeMessage(q)).questions[0]!.name).toBe('a\\046b.mesos')
    expect(() => nameLabels(`${'x'.repeat(64)}.mesos`)).toThrow(/longer than 63/)
    expect(() => nameLabels(Array.from({ length: 50 }, () => 'abcdef').join('.'))).toThrow(/longer than 255/)
  })

  test('IPv6 text forms', () => {
    expect(parseIpv6('::1')).toEqual(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))
    expect(parseIpv6('::ffff:10.0.0.1')!.slice(10)).toEqual(Uint8Array.from([255, 255, 10, 0, 0, 1]))
    expect(parseIpv6('1::2::3')).toBeUndefined()
    expect(parseIpv6('12345::')).toBeUndefined()
  })
})

describe('DNS wire codec: malformed packets are refused, never thrown', () => {
  const header = (qd: number, an = 0) => [0x12, 0x34, 0x01, 0x00, 0, qd, 0, an, 0, 0, 0, 0]
  const bad = (bytes: number[], why: RegExp) => {
    const d = decodeMessage(Uint8Array.from(bytes))
    expect(d.ok).toBe(false)
    if (!d.ok) expect(d.error).toMatch(why)
  }

  test('shorter than a header', () => bad([1, 2, 3], /shorter than a header/))
  test('counts the bytes cannot hold', () => bad([...header(0, 65535)], /do not fit/))
  test('truncated name', () => bad([...header(1), 5, 97, 98, 0, 0, 0], /truncated/))
  test('truncated question type', () => bad([...header(1), 1, 97, 0, 0, 1, 0], /truncated question class/))
  test('a pointer to itself', () => bad([...header(1), 0xc0, 12, 0, 1, 0, 1], /does not point backwards/))
  test('a pointer loop through two names', () => {
    // Question 1 at 12: label 'a' then a pointer to 17 (forward); question 2 at 17: a pointer back to 12.
    bad([...header(2), 1, 97, 0xc0, 17, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1], /does not point backwards/)
  })
  test('a pointer into its own labels', () => bad([...header(1), 1, 97, 0xc0, 12, 0, 1, 0, 1], /does not point backwards/))
  test('reserved label types', () => bad([...header(1), 0x41, 0, 0, 1, 0, 1], /label type/))
  test('a name longer than 255 bytes', () => bad([...header(1), ...Array.from({ length: 5 }, () => [63, ...new Array(63).fill(97)]).flat(), 0, 0, 1, 0, 1], /longer than 255/))
  test('record data shorter than its type needs', () => {
    bad([...header(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3], /A record data is 3 bytes/)
  })
  test('record data length past the end', () => bad([...header(0, 1), 0, 0, 16, 0, 1, 0, 0, 0, 60, 0, 200, 1], /truncated record data/))

  test('fuzz: random bytes and mutated queries never throw', () => {
    let seed = 12345
    const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
    const valid = encodeMessage(response([a('web.marathon.mesos', '10.0.0.2'), { name: '_web._tcp.marathon.mesos', type: RR_TYPE.SRV, class: 1, ttl: 60, data: { kind: 'SRV', priority: 0, weight: 0, port: 1, target: 'web.marathon.mesos' } }]))
    let refused = 0
    for (let i = 0; i < 20000; i++) {
      let buf: Uint8Array
      if (i % 2) {
        buf = valid.slice(0, Math.floor(rand() * (valid.length + 1)))
        for (let k = 0; k < 3; k++) if (buf.length) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256)
      } else buf = Uint8Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256))
      const d = decodeMessage(buf)
      if (!d.ok) refused++
      else expect(() => encodeMessage(d.message)).not.toThrow()
    }
    expect(refused).toBeGreaterThan(10000)
  })
})
