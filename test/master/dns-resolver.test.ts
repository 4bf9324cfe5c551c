import { describe, expect, test } from 'bun:test'
import { queryMessage, RCODE, RR_TYPE, type Message } from '../../src/core/dns/message.ts'
import { DnsFeed } from '../../src/master/dns/feed.ts'
import { rfc1123, taskIdHash } from '../../src/master/dns/labels.ts'
import { RecordSet } from '../../src/master/dns/record-set.ts'
import { malformedReply, resolve, type ResolverConfig } from '../../src/master/dns/resolver.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { parseResourcesFlag } from '../../src/core/resources.ts'

const cfg: ResolverConfig = { domain: 'mesos', ttl: 60, recursion: true, serialBase: 1_700_000_000 }

function zone(): RecordSet {
  const s = new RecordSet()
  s.replace('task:f/1', [
    { name: 'web.marathon.mesos', type: 'A', value: '10.0.0.5' },
    { name: 'web-abcde-s0.marathon.slave.mesos', type: 'A', value: '10.0.0.5' },
    { name: '_web._tcp.marathon.mesos', type: 'SRV', value: 'web-abcde-s0.marathon.slave.mesos:31000' },
  ])
  s.replace('task:f/2', [{ name: 'web.marathon.mesos', type: 'A', value: '10.0.0.6' }])
  return s
}

function answer(q: Message, view: { records: RecordSet | undefined } = { records: zone() }, c = cfg): Message {
  const r = resolve(q, view, c, () => 0.5)
  if (r.kind !== 'answer') throw new Error(`expected an answer, got ${r.kind}`)
  return r.message
}

describe('resolver (Mesos-DNS HandleMesos / HandleNonMesos)', () => {
  test('A: every task of the name, authoritative, with the asked case', () => {
    const m = answer(queryMessage(7, 'WEB.marathon.mesos', RR_TYPE.A))
    expect(m.header).toMatchObject({ id: 7, qr: true, aa: true, rd: true, ra: true, rcode: RCODE.NOERROR })
    expect(m.answers.map(a => [a.name, a.ttl, a.data])).toEqual(expect.arrayContaining([
      ['WEB.marathon.mesos', 60, { kind: 'A', address: '10.0.0.5' }], ['WEB.marathon.mesos', 60, { kind: 'A', address: '10.0.0.6' }],
    ]))
    expect(m.answers).toHaveLength(2)
  })

  test('SRV: the targets come with their addresses as additional records', () => {
    const m = answer(queryMessage(1, '_web._tcp.marathon.mesos', RR_TYPE.SRV))
    expect(m.answers.map(a => a.data)).toEqual([{ kind: 'SRV', priority: 0, weight: 0, port: 31000, target: 'web-abcde-s0.marathon.slave.mesos' }])
    expect(m.additionals.map(a => [a.name, a.data])).toEqual([['web-abcde-s0.marathon.slave.mesos', { kind: 'A', address: '10.0.0.5' }]])
  })

  test('unknown names: NXDOMAIN with the SOA; a known name without the type: NODATA', () => {
    const nx = answer(queryMessage(1, 'nope.marathon.mesos', RR_TYPE.A))
    expect(nx.header.rcode).toBe(RCODE.NXDOMAIN)
    expect(nx.authorities[0]!.data).toMatchObject({ kind: 'SOA', mname: 'ns1.mesos', rname: 'root.ns1.mesos', minimum: 60 })
    const nodata = answer(queryMessage(1, 'web.marathon.mesos', RR_TYPE.AAAA))
    expect(nodata.header.rcode).toBe(RCODE.NOERROR)
    expect(nodata.answers).toEqual([])
    expect(nodata.authorities).toHaveLength(1)
  })

  test('SOA and NS for the domain itself; ANY gathers every type', () => {
    expect(answer(queryMessage(1, 'mesos', RR_TYPE.SOA)).answers[0]!.data.kind).toBe('SOA')
    expect(answer(queryMessage(1, 'mesos', RR_TYPE.NS)).answers[0]!.data).toEqual({ kind: 'NS', host: 'ns1.mesos' })
    expect(answer(queryMessage(1, 'web.marathon.mesos', RR_TYPE.ANY)).answers).toHaveLength(2)
  })

  test('other names are forwarded when there are resolvers, else REFUSED', () => {
    expect(resolve(queryMessage(1, 'example.com', RR_TYPE.A), { records: zone() }, cfg).kind).toBe('forward')
    expect(answer(queryMessage(1, 'example.com', RR_TYPE.A), { records: zone() }, { ...cfg, recursion: false }).header.rcode).toBe(RCODE.REFUSED)
    // `notmesos` is not under `mesos`.
    expect(resolve(queryMessage(1, 'web.notmesos', RR_TYPE.A), { records: zone() }, cfg).kind).toBe('forward')
  })

  test('a standby master answers SERVFAIL for the domain and still forwards the rest', () => {
    expect(answer(queryMessage(1, 'web.marathon.mesos', RR_TYPE.A), { records: undefined }).header.rcode).toBe(RCODE.SERVFAIL)
    expect(resolve(queryMessage(1, 'example.com', RR_TYPE.A), { records: undefined }, cfg).kind).toBe('forward')
  })

  test('protocol errors: responses are dropped, other opcodes NOTIMP, several questions FORMERR, EDNS echoed', () => {
    const q = queryMessage(1, 'web.marathon.mesos', RR_TYPE.A, 4096)
    expect(answer(q).additionals.map(a => [a.type, a.class])).toEqual([[RR_TYPE.OPT, 1232]])
    expect(resolve({ ...q, header: { ...q.header, qr: true } }, { records: zone() }, cfg).kind).toBe('drop')
    expect(answer({ ...q, header: { ...q.header, opcode: 2 } }).header.rcode).toBe(RCODE.NOTIMP)
    expect(answer({ ...q, questions: [...q.questions, ...q.questions] }).header.rcode).toBe(RCODE.FORMERR)
    expect(answer({ ...q, questions: [] }).header.rcode).toBe(RCODE.FORMERR)
    expect(malformedReply(Uint8Array.from([0, 9, 1, 0, 0, 1]), cfg)).toBeUndefined()
    expect(malformedReply(Uint8Array.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 99]), cfg)!.header).toMatchObject({ id: 9, rcode: RCODE.FORMERR })
    expect(malformedReply(Uint8Array.from([0, 9, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 99]), cfg)).toBeUndefined()
  })
})

describe('records follow the master (feed from its published events)', () => {
  function setup() {
    const h = new MasterHarness()
    const records = new RecordSet()
    const feed = new DnsFeed(records, { domain: 'mesos', spec: rfc1123, ipSources: ['netinfo', 'mesos', 'host'] }, '10.0.0.1')
    feed.load(h.state)
    let seen = 0
    const pump = () => {
      for (const e of h.effects.slice(seen)) if (e.type === 'publish') feed.onEvent(h.state, e.event, e.payload)
      seen = h.effects.length
    }
    return { h, records, pump }
  }

  test('leader and agents; a task appears at RUNNING and goes when it ends', () => {
    const { h, records, pump } = setup()
    expect(records.lookup('leader.mesos').map(r => r.value)).toEqual(['10.0.0.1'])
    const { agent } = h.registerAgent('cpus:4;mem:4096;ports:[31000-31010]', 'Node-7')
    const { framework: fw } = h.subscribe({ name: 'marathon' })
    pump()
    expect(records.lookup('node-7.agent.mesos').map(r => r.value)).toEqual(['10.0.0.2'])
    h.allocate()
    h.launch(fw, h.offersFor(fw)[0]!, [{ name: 'web', task_id: { value: 'web.1' }, resources: parseResourcesFlag('cpus:0.1;mem:32;ports:[31005-31005]') }])
    h.status(agent, fw, 'web.1', 'TASK_STARTING')
    pump()
    expect(records.has('web.marathon.mesos')).toBe(false)
    h.status(agent, fw, 'web.1', 'TASK_RUNNING')
    pump()
    expect(records.lookup('web.marathon.mesos').map(r => r.value)).toEqual(['10.0.0.2'])
    const canonical = `web-${taskIdHash('web.1')}-${agent.id.split('-').pop()!.toLowerCase()}.marathon.slave.mesos`
    expect(records.lookup('_web._tcp.marathon.mesos').map(r => r.value)).toEqual([`${canonical}:31005`])
    h.status(agent, fw, 'web.1', 'TASK_KILLED')
    pump()
    expect(records.has('web.marathon.mesos')).toBe(false)
    expect(records.has('_web._tcp.marathon.mesos')).toBe(false)
    expect(records.has('slave.mesos')).toBe(true)
  })
})
