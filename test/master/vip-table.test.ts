// The VIP table's pure parts: DC/OS VIP labels, stable address allocation in --vip_range, tasks → VIPs → backends
// (health, CNI vs host network, merging), and the DNS names of named VIPs.

import { describe, expect, test } from 'bun:test'
import { rfc1123 } from '../../src/master/dns/labels.ts'
import { VipAllocator, VipRange, vipKey } from '../../src/master/vips/vip-allocation.ts'
import { hasVipLabels, parseVipLabel, taskVips } from '../../src/master/vips/vip-labels.ts'
import { vipRecords } from '../../src/master/vips/vip-records.ts'
import { agentVips, buildVipTable, findVips, type VipTaskFacts } from '../../src/master/vips/vip-table.ts'

const ports = (...ps: { number?: number; protocol?: string; labels: [string, string][] }[]) =>
  ({ ports: { ports: ps.map(p => ({ number: p.number, protocol: p.protocol, labels: { labels: p.labels.map(([key, value]) => ({ key, value })) } })) } })

describe('VIP labels', () => {
  test('named, group-named and address VIPs', () => {
    expect(parseVipLabel('/web:80')).toEqual({ kind: 'named', name: 'web', port: 80 })
    expect(parseVipLabel('web:80')).toEqual({ kind: 'named', name: 'web', port: 80 })
    expect(parseVipLabel('/prod/web:8080')).toEqual({ kind: 'named', name: 'prod/web', port: 8080 })
    expect(parseVipLabel('10.1.2.3:80')).toEqual({ kind: 'ip', ip: '10.1.2.3', port: 80 })
  })
  test('bad values say why', () => {
    expect(parseVipLabel('web')).toEqual({ error: "'web' is not /NAME:PORT or IP:PORT" })
    expect(parseVipLabel('/web:0')).toEqual({ error: "'/web:0': the port must be 1-65535" })
    expect(parseVipLabel('/web:70000')).toHaveProperty('error')
    expect(parseVipLabel('/we b:80')).toHaveProperty('error')
    expect(parseVipLabel('[::1]:80')).toEqual({ error: "'[::1]:80': IPv6 VIPs are not supported" })
    expect(parseVipLabel('/a//b:80')).toHaveProperty('error')
  })
  test("a task's VIPs: protocol, task port, other labels ignored, errors kept", () => {
    const d = ports(
      { number: 8000, labels: [['VIP_0', '/web:80'], ['other', 'x']] },
      { number: 53, protocol: 'udp', labels: [['VIP_1', '10.9.9.9:53']] },
      { number: 9, protocol: 'sctp', labels: [['VIP_2', '/x:9']] },
      { labels: [['VIP_3', '/y:9']] },
      { number: 1, labels: [['VIP_4', 'nonsense']] },
    )
    const r = taskVips(d)
    expect(r.vips).toEqual([
      { label: 'VIP_0', address: { kind: 'named', name: 'web', port: 80 }, protocol: 'tcp', taskPort: 8000 },
      { label: 'VIP_1', address: { kind: 'ip', ip: '10.9.9.9', port: 53 }, protocol: 'udp', taskPort: 53 },
    ])
    expect(r.errors).toEqual([
      "VIP_2: protocol 'sctp' is not tcp or udp",
      'VIP_3: its DiscoveryInfo port has no valid number',
      "VIP_4: 'nonsense' is not /NAME:PORT or IP:PORT",
    ])
    expect(hasVipLabels(d)).toBe(true)
    expect(hasVipLabels(ports({ number: 1, labels: [['VIPX', 'a']] }))).toBe(false)
    expect(hasVipLabels(undefined)).toBe(false)
  })
  test('the number of VIP labels a task may have is bounded', () => {
    const many = ports({ number: 80, labels: Array.from({ length: 100 }, (_, i) => [`VIP_${i}`, `/n${i}:80`] as [string, string]) })
    const r = taskVips(many)
    expect(r.vips.length).toBe(64)
    expect(r.errors).toEqual(['more than 64 VIP labels; the rest are ignored'])
  })
})

describe('VIP addresses', () => {
  test('ranges', () => {
    const r = VipRange.parse('11.0.0.0/8')
    expect(r.usable).toBe(2 ** 24 - 2)
    expect(r.contains('11.0.0.1')).toBe(true)
    expect(r.contains('11.0.0.0')).toBe(false)
    expect(r.contains('11.255.255.255')).toBe(false)
    expect(r.contains('12.0.0.1')).toBe(false)
    expect(() => VipRange.parse('11.0.0.1/8')).toThrow('host bits are set (the network is 11.0.0.0/8)')
    expect(() => VipRange.parse('11.0.0.0/31')).toThrow('/8 to /30')
    expect(() => VipRange.parse('nope')).toThrow('expected an IPv4 CIDR')
  })
  test('stable: the same key gets the same address, persisted once, and again from what was persisted', () => {
    const persisted: [string, string][] = []
    const a = new VipAllocator(VipRange.parse('11.0.0.0/8'), [], (k, ip) => persisted.push([k, ip]))
    const web = a.addressOf(vipKey('marathon', 'web'))
    expect(a.addressOf(vipKey('marathon', 'web'))).toBe(web)
    const db = a.addressOf(vipKey('marathon', 'db'))
    expect(db).not.toBe(web)
    expect(persisted).toEqual([['marathon/web', web], ['marathon/db', db]])
    // A master that recovers them (another master after a failover) gives the same ones.
    const b = new VipAllocator(VipRange.parse('11.0.0.0/8'), persisted, () => { throw new Error('nothing new to persist') })
    expect(b.addressOf('marathon/db')).toBe(db)
    expect(b.addressOf('marathon/web')).toBe(web)
    // Without the registrar the hash still gives the first choice again.
    const c = new VipAllocator(VipRange.parse('11.0.0.0/8'), [], () => {})
    expect(c.addressOf('marathon/web')).toBe(web)
  })
  test('collisions move on; a full range says so; addresses outside a changed range are reallocated', () => {
    const a = new VipAllocator(VipRange.parse('11.0.0.0/30'), [], () => {})
    const ips = new Set([a.addressOf('f/a'), a.addressOf('f/b')])
    expect(ips).toEqual(new Set(['11.0.0.1', '11.0.0.2']))
    expect(() => a.addressOf('f/c')).toThrow("--vip_range 11.0.0.0/30 is full (2 named VIPs); cannot give 'f/c' an address")
    const b = new VipAllocator(VipRange.parse('11.0.0.0/30'), [['f/a', '12.0.0.1'], ['f/b', '11.0.0.2'], ['f/c', '11.0.0.2']], () => {})
    expect(b.peek('f/a')).toBeUndefined()
    expect(b.peek('f/c')).toBeUndefined()
    expect(b.addressOf('f/a')).toBe('11.0.0.1')
  })
})

const fact = (o: Partial<VipTaskFacts> & { taskId: string }): VipTaskFacts => ({
  frameworkId: 'fw1', frameworkName: 'marathon', agentId: 'a1', agentIp: '192.168.1.10', containerIps: [], healthy: undefined,
  discovery: ports({ number: 8000, labels: [['VIP_0', '/web:80']] }), ...o,
})

describe('VIP table', () => {
  const addressOf = (key: string) => ({ 'marathon/web': '11.0.0.7', 'other/web': '11.0.0.8' })[key] ?? '11.0.0.99'

  test('backends: container address on CNI, agent address on the host network; health decides who serves', () => {
    const t = buildVipTable([
      fact({ taskId: 't1', containerIps: ['10.213.0.5'] }),
      fact({ taskId: 't2', agentIp: '192.168.1.11', agentId: 'a2', healthy: true }),
      fact({ taskId: 't3', containerIps: ['10.213.0.6'], healthy: false }),
    ], addressOf)
    expect(t.errors).toEqual([])
    expect(t.vips).toEqual([{
      vip: '11.0.0.7:80', ip: '11.0.0.7', port: 80, protocol: 'tcp', name: 'web', framework: 'marathon',
      backends: [
        { ip: '10.213.0.5', port: 8000, framework_id: 'fw1', task_id: 't1', agent_id: 'a1', serving: true },
        { ip: '10.213.0.6', port: 8000, framework_id: 'fw1', task_id: 't3', agent_id: 'a1', healthy: false, serving: false },
        { ip: '192.168.1.11', port: 8000, framework_id: 'fw1', task_id: 't2', agent_id: 'a2', healthy: true, serving: true },
      ],
    }])
    expect(agentVips(t)).toEqual([{ vip: '11.0.0.7:80', protocol: 'tcp', backends: ['10.213.0.5:8000', '192.168.1.11:8000'] }])
  })

  test('named VIPs are per framework; address VIPs merge across frameworks; tcp and udp are apart', () => {
    const byIp = ports({ number: 53, labels: [['VIP_0', '10.9.9.9:53']] }, { number: 53, protocol: 'udp', labels: [['VIP_1', '10.9.9.9:53']] })
    const t = buildVipTable([
      fact({ taskId: 'a' }),
      fact({ taskId: 'b', frameworkId: 'fw2', frameworkName: 'other' }),
      fact({ taskId: 'c', discovery: byIp, containerIps: ['10.213.0.1'] }),
      fact({ taskId: 'd', frameworkId: 'fw2', frameworkName: 'other', discovery: byIp, containerIps: ['10.213.0.2'] }),
    ], addressOf)
    expect(t.vips.map(v => `${v.protocol} ${v.vip} ${v.name ?? '-'} ${v.backends.map(b => b.task_id).join(',')}`)).toEqual([
      'tcp 10.9.9.9:53 - c,d', 'udp 10.9.9.9:53 - c,d', 'tcp 11.0.0.7:80 web a', 'tcp 11.0.0.8:80 web b',
    ])
    expect(findVips(t, 'web').length).toBe(2)
    expect(findVips(t, '/web').length).toBe(2)
    expect(findVips(t, '11.0.0.8:80').map(v => v.framework)).toEqual(['other'])
  })

  test('label errors and a full range are reported per task, not thrown', () => {
    const t = buildVipTable([
      fact({ taskId: 'bad', discovery: ports({ number: 1, labels: [['VIP_0', 'x']] }) }),
      fact({ taskId: 'full' }),
    ], () => { throw new Error('--vip_range 11.0.0.0/30 is full') })
    expect(t.vips).toEqual([])
    expect(t.errors).toEqual([
      { framework_id: 'fw1', task_id: 'bad', message: "VIP_0: 'x' is not /NAME:PORT or IP:PORT" },
      { framework_id: 'fw1', task_id: 'full', message: 'VIP_0: --vip_range 11.0.0.0/30 is full' },
    ])
  })

  test('DNS names: DC/OS l4lb names and the short meso name; group slashes dropped', () => {
    const t = buildVipTable([
      fact({ taskId: 'a', discovery: ports({ number: 80, labels: [['VIP_0', '/Prod/Web:80'], ['VIP_1', '/prod/web:443'], ['VIP_2', '10.1.1.1:80']] }) }),
    ], () => '11.0.0.5')
    expect(vipRecords(t, 'mesos', rfc1123)).toEqual([
      { name: 'prodweb.marathon.l4lb.thisdcos.directory', type: 'A', value: '11.0.0.5' },
      { name: 'prodweb.vip.mesos', type: 'A', value: '11.0.0.5' },
    ])
  })
})

describe('meso task run --vip', () => {
  test('NAME:PORT[:TASKPORT][/udp] and IP:PORT become VIP_<n> port labels', async () => {
    const { parseVipFlag, vipDiscovery } = await import('../../src/cli/handlers/vip-flag.ts')
    expect(parseVipFlag('web:80')).toEqual({ label: '/web:80', taskPort: 80, protocol: 'tcp' })
    expect(parseVipFlag('/prod/web:80:8080')).toEqual({ label: '/prod/web:80', taskPort: 8080, protocol: 'tcp' })
    expect(parseVipFlag('10.1.2.3:53/udp')).toEqual({ label: '10.1.2.3:53', taskPort: 53, protocol: 'udp' })
    expect(() => parseVipFlag('web')).toThrow('--vip web: expected NAME:PORT[:TASKPORT][/udp]')
    expect(() => parseVipFlag('web:80:0')).toThrow("the task port '0' must be 1-65535")
    expect(() => parseVipFlag('we b:80')).toThrow('a VIP name is')
    const d = vipDiscovery('web', [parseVipFlag('web:80:8080'), parseVipFlag('web:53/udp')])
    expect(d).toEqual({ visibility: 'FRAMEWORK', name: 'web', ports: { ports: [
      { number: 8080, protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/web:80' }] } },
      { number: 53, protocol: 'udp', labels: { labels: [{ key: 'VIP_1', value: '/web:53' }] } },
    ] } })
    // What the master reads back from it.
    expect(taskVips(d as never).vips.map(v => `${v.protocol} ${v.address.kind === 'named' ? v.address.name : ''}:${v.address.port} → ${v.taskPort}`)).toEqual(['tcp web:80 → 8080', 'udp web:53 → 53'])
  })
})
