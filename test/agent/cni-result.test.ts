// CNI results in every format plugins answer in, normalised to what TaskStatus reports; plugin error objects.

import { describe, expect, test } from 'bun:test'
import { CniResultError, networkInfoFor, parseCniResult, pluginErrorMessage } from '../../src/agent/isolators/network/cni/cni-result.ts'

// What the distro bridge plugin printed for 1.0.0 (docs/containerizer.md, CNI).
const bridge100 = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'meso0', mac: 'aa' }, { name: 'veth53892791', mac: 'bb' }, { name: 'eth0', mac: 'cc', sandbox: '/var/run/netns/meso-n1' }],
  ips: [{ interface: 2, address: '10.88.0.2/16', gateway: '10.88.0.1' }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: {},
}

describe('parseCniResult', () => {
  test('1.0.0: addresses without a version field, on the sandbox interface', () => {
    expect(parseCniResult(bridge100)).toEqual({ cniVersion: '1.0.0', ips: [{ version: 4, address: '10.88.0.2', cidr: '10.88.0.2/16', gateway: '10.88.0.1' }], dns: {} })
  })

  test('0.4.0 and 0.3.1: `version` on each address; IPv6 too', () => {
    for (const v of ['0.4.0', '0.3.1', '0.3.0']) {
      const r = parseCniResult({
        cniVersion: v, interfaces: bridge100.interfaces,
        ips: [{ version: '4', interface: 2, address: '10.1.2.3/24', gateway: '10.1.2.1' }, { version: '6', interface: 2, address: 'fd00::5/64' }],
        dns: { nameservers: ['10.1.2.1'], search: ['svc.local'], domain: 'local', options: ['ndots:2'] },
      })
      expect(r.cniVersion).toBe(v)
      expect(r.ips.map(i => [i.version, i.address])).toEqual([[4, '10.1.2.3'], [6, 'fd00::5']])
      expect(r.dns).toEqual({ nameservers: ['10.1.2.1'], search: ['svc.local'], domain: 'local', options: ['ndots:2'] })
    }
  })

  test('addresses on host-side interfaces (no sandbox) are left out; no interface index keeps the address', () => {
    const r = parseCniResult({
      cniVersion: '1.0.0', interfaces: bridge100.interfaces,
      ips: [{ interface: 0, address: '10.88.0.1/16' }, { interface: 2, address: '10.88.0.7/16' }, { address: '10.99.0.7/16' }],
    })
    expect(r.ips.map(i => i.address)).toEqual(['10.88.0.7', '10.99.0.7'])
  })

  test('0.2.0 and 0.1.0: ip4 / ip6 objects', () => {
    const r = parseCniResult({ cniVersion: '0.2.0', ip4: { ip: '10.22.0.5/16', gateway: '10.22.0.1', routes: [{ dst: '0.0.0.0/0' }] }, ip6: { ip: 'fd00::1:5/64' }, dns: { nameservers: ['8.8.8.8'] } })
    expect(r.ips).toEqual([{ version: 4, address: '10.22.0.5', cidr: '10.22.0.5/16', gateway: '10.22.0.1' }, { version: 6, address: 'fd00::1:5', cidr: 'fd00::1:5/64' }])
    expect(r.dns).toEqual({ nameservers: ['8.8.8.8'] })
    const old = parseCniResult({ ip4: { ip: '192.168.7.9/24' } })
    expect(old.cniVersion).toBe('0.1.0')
    expect(old.ips[0]!.address).toBe('192.168.7.9')
  })

  test('no addresses at all is a valid (empty) result', () => {
    expect(parseCniResult({ cniVersion: '1.0.0', interfaces: [] }).ips).toEqual([])
    expect(parseCniResult({ cniVersion: '0.2.0' }).ips).toEqual([])
  })

  test('malformed results are refused with where the problem is', () => {
    expect(() => parseCniResult('nope')).toThrow(CniResultError)
    expect(() => parseCniResult(null)).toThrow('not a JSON object')
    expect(() => parseCniResult({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.1' }] })).toThrow('ips[0]: address "10.0.0.1" is not in CIDR form')
    expect(() => parseCniResult({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.300/24' }] })).toThrow('not an IPv4 address')
    expect(() => parseCniResult({ cniVersion: '0.4.0', ips: [{ version: '6', address: '10.0.0.3/24' }] })).toThrow('is not IPv6')
    expect(() => parseCniResult({ cniVersion: '0.2.0', ip4: 'x' })).toThrow('ip4 is not an object')
  })
})

describe('networkInfoFor', () => {
  test('reports the request\'s name, labels, groups and port mappings with the addresses', () => {
    const request = { name: 'meso', labels: { labels: [{ key: 'app', value: 'web' }] }, groups: ['g'], port_mappings: [{ host_port: 31080, container_port: 80, protocol: 'tcp' }] }
    expect(networkInfoFor(request, parseCniResult(bridge100))).toEqual({
      name: 'meso', ip_addresses: [{ protocol: 'IPv4', ip_address: '10.88.0.2' }], groups: ['g'], labels: request.labels, port_mappings: request.port_mappings,
    })
    const v6 = parseCniResult({ cniVersion: '1.0.0', ips: [{ address: 'fd00::2/64' }] })
    expect(networkInfoFor({ name: 'n' }, v6)).toEqual({ name: 'n', ip_addresses: [{ protocol: 'IPv6', ip_address: 'fd00::2' }] })
  })
})

describe('pluginErrorMessage', () => {
  test('the CNI error object: msg, details and code', () => {
    expect(pluginErrorMessage('{"code":999,"msg":"failed to open netns","details":"no such file"}', '', 1)).toBe('failed to open netns: no such file (CNI error code 999)')
    expect(pluginErrorMessage('{"code":1,"msg":"incompatible CNI versions"}', '', 1)).toBe('incompatible CNI versions (CNI error code 1)')
  })

  test('anything else: the end of stderr, else stdout, else the exit status', () => {
    expect(pluginErrorMessage('', 'panic: boom\n', 2)).toBe('panic: boom')
    expect(pluginErrorMessage('not json', '', 2)).toBe('not json')
    expect(pluginErrorMessage('', '', 3)).toBe('exited with status 3')
  })
})
