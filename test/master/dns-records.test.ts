import { describe, expect, test } from 'bun:test'
import { agentIdTail, domainFrag, rfc1123, rfc952, taskIdHash } from '../../src/master/dns/labels.ts'
import { RecordSet } from '../../src/master/dns/record-set.ts'
import { agentRecords, masterRecords, taskIps, taskRecords, type DnsNaming, type TaskFacts } from '../../src/master/dns/records.ts'
import { parseResolvers, resolversFromResolvConf } from '../../src/master/dns/upstreams.ts'

const naming: DnsNaming = { domain: 'mesos', spec: rfc1123, ipSources: ['netinfo', 'mesos', 'host'] }

const running = (extra: Record<string, unknown> = {}) => ({ task_id: { value: 't' }, state: 'TASK_RUNNING' as const, timestamp: 10, ...extra })
const task = (extra: Partial<TaskFacts> = {}): TaskFacts => ({
  id: 'web.1', name: 'web', agentId: '5a1f-S3', frameworkName: 'marathon', statuses: [running()],
  resources: [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } } as any], ...extra,
})
const names = (rs: { name: string; type: string; value: string }[]) => rs.map(r => `${r.name} ${r.type} ${r.value}`).sort()

describe('Mesos-DNS label rules (records/labels/labels_test.go cases)', () => {
  test('RFC 1123', () => {
    const cases: Record<string, string> = {
      '4abc123': '4abc123', '-4abc123': '4abc123', '89fdgsf---gs7-fgs--d7fddg-': '89fdgsf---gs7-fgs--d7fddg',
      'fd%gsf---gs7-f$gs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg-123',
      'fd%gsf---gs7-f$gs--d7fddg123456789012345678901234567890123456789-123': 'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
      '##fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-': 'fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789',
    }
    for (const [input, want] of Object.entries(cases)) expect(rfc1123(input)).toBe(want)
  })
  test('RFC 952', () => {
    const cases: Record<string, string> = {
      '4abc123': 'abc123', '-4abc123': 'abc123', 'fd%gsf---gs7-f$gs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg1',
      '89fdgsf---gs7-fgs--d7fddg---123': 'fdgsf---gs7-fgs--d7fddg1', 'chronos with a space AND MIXED CASE-2.0.1': 'chronoswithaspaceandmixe',
      ['hello' + '-'.repeat(56) + 'f']: 'hellof',
    }
    for (const [input, want] of Object.entries(cases)) expect(rfc952(input)).toBe(want)
  })
  test('domain fragments keep their dots', () => {
    expect(domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc1123)).toBe('pod-123abc.marathon-0.6.0-dev.mesos')
    expect(domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc952)).toBe('pod-123abc.marathon-0.dev.mesos')
  })
  test('task id hash and agent id tail (generator_test.go: hashString("test") = iffe9)', () => {
    expect(taskIdHash('test')).toBe('iffe9')
    expect(agentIdTail('20150317-152935-2149649418-5050-7429-S0')).toBe('s0')
  })
})

describe('task records (records/generator.go)', () => {
  test('without DiscoveryInfo: A to the task IP source, .slave names, SRV from port resources with and without .slave', () => {
    const h = taskIdHash('web.1')
    const rs = names(taskRecords(task(), ['10.0.0.5'], naming))
    expect(rs).toContain('web.marathon.mesos A 10.0.0.5')
    expect(rs).toContain(`web-${h}-s3.marathon.mesos A 10.0.0.5`)
    expect(rs).toContain('web.marathon.slave.mesos A 10.0.0.5')
    expect(rs).toContain(`web-${h}-s3.marathon.slave.mesos A 10.0.0.5`)
    for (const proto of ['tcp', 'udp']) {
      for (const port of [31000, 31001]) {
        expect(rs).toContain(`_web._${proto}.marathon.mesos SRV web-${h}-s3.marathon.slave.mesos:${port}`)
        expect(rs).toContain(`_web._${proto}.marathon.slave.mesos SRV web-${h}-s3.marathon.slave.mesos:${port}`)
      }
    }
    expect(rs.length).toBe(4 + 8)
  })

  test('with DiscoveryInfo: its name, its ports (named and by protocol) target the canonical name', () => {
    const t = task({ name: 'ignored', discovery: { name: 'Search.API', ports: { ports: [{ number: 8080, name: 'http', protocol: 'tcp' }, { number: 53 }] } } })
    const h = taskIdHash('web.1')
    const rs = names(taskRecords(t, ['10.0.0.5'], naming))
    expect(rs).toContain('search-api.marathon.mesos A 10.0.0.5')
    expect(rs).toContain(`_search-api._tcp.marathon.mesos SRV search-api-${h}-s3.marathon.mesos:8080`)
    expect(rs).toContain(`_http._search-api._tcp.marathon.mesos SRV search-api-${h}-s3.marathon.mesos:8080`)
    expect(rs).toContain(`_search-api._udp.marathon.mesos SRV search-api-${h}-s3.marathon.mesos:53`)
    expect(rs).toContain(`_search-api._tcp.marathon.mesos SRV search-api-${h}-s3.marathon.mesos:53`)
    // Port resources only under .slave when DiscoveryInfo is there.
    expect(rs).toContain(`_search-api._tcp.marathon.slave.mesos SRV search-api-${h}-s3.marathon.slave.mesos:31000`)
    expect(rs.some(r => r.startsWith('_search-api._tcp.marathon.mesos SRV') && r.endsWith(':31000'))).toBe(false)
  })

  test('IP sources: the first populated one wins, from the newest RUNNING status', () => {
    const cni = [
      running({ timestamp: 5, container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.213.0.9' }] }] } }),
      running({ timestamp: 9, container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.213.0.7' }, { ip_address: 'fd00::7' }] }] } }),
      { task_id: { value: 't' }, state: 'TASK_STARTING' as const, timestamp: 20, container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.9.9.9' }] }] } },
    ]
    expect(taskIps(task({ statuses: cni }), ['10.0.0.5'], naming.ipSources)).toEqual(['10.213.0.7', 'fd00::7'])
    expect(taskIps(task({ statuses: cni }), ['10.0.0.5'], ['host', 'netinfo'])).toEqual(['10.0.0.5'])
    const labelled = [running({ labels: { labels: [{ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: '10.1.1.1' }] } })]
    expect(taskIps(task({ statuses: labelled }), ['10.0.0.5'], naming.ipSources)).toEqual(['10.1.1.1'])
    expect(taskIps(task(), ['10.0.0.5'], ['netinfo', 'docker'])).toEqual([])
    const rs = names(taskRecords(task({ statuses: cni }), ['10.0.0.5'], naming))
    expect(rs).toContain('web.marathon.mesos AAAA fd00::7')
    expect(rs).toContain('web.marathon.slave.mesos A 10.0.0.5')
  })

  test('a name with nothing left after the rules gets no records; huge port ranges stay bounded', () => {
    expect(taskRecords(task({ name: '$$$' }), ['10.0.0.5'], naming)).toEqual([])
    expect(taskRecords(task({ frameworkName: '...' }), ['10.0.0.5'], naming)).toEqual([])
    const wide = taskRecords(task({ resources: [{ name: 'ports', ranges: { range: [{ begin: 0, end: 1e12 }] } } as any] }), ['10.0.0.5'], naming)
    expect(wide.length).toBeLessThanOrEqual(4 + 4 * 65536)
  })

  test('agents and masters', () => {
    expect(names(agentRecords({ hostname: 'Node-1.example.com', ip: '10.0.0.5', port: 5051 }, naming))).toEqual([
      '_slave._tcp.mesos SRV slave.mesos:5051', 'node-1.example.com.agent.mesos A 10.0.0.5', 'slave.mesos A 10.0.0.5',
    ])
    expect(names(masterRecords({ leader: { ip: '10.0.0.1', port: 5050 }, nameserverIp: '10.0.0.1' }, naming))).toEqual([
      '_leader._tcp.mesos SRV leader.mesos:5050', '_leader._udp.mesos SRV leader.mesos:5050', 'leader.mesos A 10.0.0.1',
      'master.mesos A 10.0.0.1', 'master0.mesos A 10.0.0.1', 'ns1.mesos A 10.0.0.1',
    ])
  })
})

describe('record set', () => {
  test('records shared by owners stay until the last owner drops them', () => {
    const s = new RecordSet()
    s.replace('task:f/1', [{ name: 'web.m.mesos', type: 'A', value: '10.0.0.5' }])
    s.replace('task:f/2', [{ name: 'web.m.mesos', type: 'A', value: '10.0.0.5' }, { name: 'web.m.mesos', type: 'A', value: '10.0.0.6' }])
    expect(s.lookup('web.m.mesos').map(r => r.value).sort()).toEqual(['10.0.0.5', '10.0.0.6'])
    s.remove('task:f/2')
    expect(s.lookup('web.m.mesos').map(r => r.value)).toEqual(['10.0.0.5'])
    const serial = s.serial
    s.replace('task:f/1', [{ name: 'web.m.mesos', type: 'A', value: '10.0.0.5' }])
    expect(s.serial).toBe(serial)
    s.replace('task:f/1', [])
    expect(s.has('web.m.mesos')).toBe(false)
    expect(s.owners).toBe(0)
  })
})

describe('upstream resolvers', () => {
  test('--dns_resolvers', () => {
    expect(parseResolvers('10.0.0.2, 10.0.0.3:5353,[fd00::1]:53,fd00::2')).toEqual([
      { ip: '10.0.0.2', port: 53 }, { ip: '10.0.0.3', port: 5353 }, { ip: 'fd00::1', port: 53 }, { ip: 'fd00::2', port: 53 },
    ])
    expect(() => parseResolvers('dns.google')).toThrow(/'dns.google' is not an IP address/)
    expect(() => parseResolvers('10.0.0.2:0')).toThrow(/bad port/)
  })
  test('resolv.conf without meso itself', () => {
    const conf = '# x\nsearch example.com\nnameserver 127.0.0.1\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\nnameserver bogus\n'
    expect(resolversFromResolvConf(conf, { ips: ['127.0.0.1'], port: 53 })).toEqual([{ ip: '10.0.0.2', port: 53 }, { ip: 'fe80::1', port: 53 }])
    expect(resolversFromResolvConf(conf, { ips: ['127.0.0.1'], port: 8053 }).map(u => u.ip)).toEqual(['127.0.0.1', '10.0.0.2', 'fe80::1'])
    expect(resolversFromResolvConf('nameserver 127.0.0.53\nnameserver 10.0.0.2', { ips: ['10.0.0.2'], port: 53, wildcard: true })).toEqual([])
  })
})

describe('container resolv.conf through the meso network (cluster-dns.ts) and meso up (up-dns.ts)', () => {
  test('the bridge plugin gets the gateway as nameserver and the domain as search path', async () => {
    const { gatewayOf, withClusterDns } = await import('../../src/agent/isolators/network/cni/cluster-dns.ts')
    const { defaultNetworkConfig } = await import('../../src/agent/isolators/network/cni/default-network.ts')
    expect(gatewayOf('10.213.0.0/16')).toBe('10.213.0.1')
    expect(gatewayOf('192.168.213.0/24')).toBe('192.168.213.1')
    expect(gatewayOf('nonsense')).toBeUndefined()
    const config = defaultNetworkConfig({ subnet: '10.214.0.0/16', dataDir: '/d' }) as Record<string, any>
    const next = withClusterDns(config, { search: ['mesos'] })!
    expect(next.plugins[0].dns).toEqual({ nameservers: ['10.214.0.1'], search: ['mesos'] })
    expect(next.plugins[1]).toEqual(config.plugins[1])
    expect(withClusterDns(next, { search: ['mesos'] })).toBe(next)
    expect(withClusterDns({ plugins: [{ type: 'macvlan' }] }, { search: ['mesos'] })).toBeUndefined()
  })

  test('meso up: DNS on, a free port with --port 0, every address on port 53 only when containers need it', async () => {
    const { upDnsDefaults, withContainerDns } = await import('../../src/commands/up-dns.ts')
    expect(upDnsDefaults(5050)).toEqual({ dns: 'true' })
    expect(upDnsDefaults(0)).toEqual({ dns: 'true', dns_port: '0' })
    const flags = (v: Record<string, unknown>) => ({ dns: true, dns_port: 53, ip: '127.0.0.1', ...v }) as any
    expect(withContainerDns(flags({}), {}, true).dns_ip).toBe('0.0.0.0')
    expect(withContainerDns(flags({}), {}, false).dns_ip).toBeUndefined()
    expect(withContainerDns(flags({ dns_port: 8053 }), {}, true).dns_ip).toBeUndefined()
    expect(withContainerDns(flags({ dns_ip: '10.0.0.1' }), { dns_ip: '10.0.0.1' }, true).dns_ip).toBe('10.0.0.1')
    expect(withContainerDns(flags({ dns: false }), {}, true).dns_ip).toBeUndefined()
  })

  test('a DNS on every address forwards only for loopback and private askers', async () => {
    const { isPrivateAddress } = await import('../../src/master/dns/upstreams.ts')
    for (const ip of ['127.0.0.1', '10.213.0.5', '172.16.0.1', '192.168.1.1', '100.64.0.1', '::1', 'fd00::5', '::ffff:10.0.0.1']) expect(isPrivateAddress(ip)).toBe(true)
    for (const ip of ['8.8.8.8', '172.32.0.1', '2001:db8::1', '::ffff:1.1.1.1']) expect(isPrivateAddress(ip)).toBe(false)
  })
})
