// CNI config files and directories, what each plugin of a chain is given, the container's /etc files, the default
// `meso` network of `meso up`, and the agent's CNI flag rules.

import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cniWanted, createCniIsolator } from '../../src/agent/isolators/network/cni/attach.ts'
import { findPlugin, loadNetworks, networksFromFiles, requiredPlugins } from '../../src/agent/isolators/network/cni/config-dir.ts'
import { containerHostname, hostnameFile, hostsFile, resolvConfFile } from '../../src/agent/isolators/network/cni/container-files.ts'
import { cidrsOverlap, defaultNetworkConfig, ensureDefaultNetwork, hostRoutes, pickSubnet } from '../../src/agent/isolators/network/cni/default-network.ts'
import { netnsName } from '../../src/agent/isolators/network/cni/netns.ts'
import { CniConfigError, hasCapability, parseNetworkFile, summarizeNetwork, versionAtLeast } from '../../src/agent/isolators/network/cni/network-config.ts'
import { NetworkStateStore } from '../../src/agent/isolators/network/cni/network-state.ts'
import { cniArgsEnv, invocationConfig, pluginConfigs, pluginEnv } from '../../src/agent/isolators/network/cni/plugin-config.ts'

const scratch = mkdtempSync(join(tmpdir(), 'meso-cni-unit-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const conflist = (name = 'meso', extra: Record<string, unknown> = {}) => JSON.stringify({
  cniVersion: '1.0.0', name,
  plugins: [
    { type: 'bridge', bridge: 'meso0', isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.88.0.0/16' }]], dataDir: '/x' } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
  ...extra,
})

describe('parseNetworkFile', () => {
  test('a .conflist is a named chain in order', () => {
    const n = parseNetworkFile(conflist(), '/d/10-meso.conflist')
    expect(n.name).toBe('meso')
    expect(n.cniVersion).toBe('1.0.0')
    expect(n.plugins.map(p => p.type)).toEqual(['bridge', 'portmap'])
    expect(hasCapability(n, 'portMappings')).toBe(true)
  })

  test('a single-plugin .conf is a chain of one; no cniVersion means 0.1.0', () => {
    const n = parseNetworkFile(JSON.stringify({ name: 'old', type: 'bridge', bridge: 'b1', ipam: { type: 'host-local', subnet: '10.5.0.0/24' } }), '/d/old.conf')
    expect(n.cniVersion).toBe('0.1.0')
    expect(n.plugins).toEqual([{ type: 'bridge', bridge: 'b1', ipam: { type: 'host-local', subnet: '10.5.0.0/24' } }])
    expect(hasCapability(n, 'portMappings')).toBe(false)
  })

  test('refuses what cannot work, naming the file and network', () => {
    const bad = (text: string) => () => parseNetworkFile(text, '/d/x.conf')
    expect(bad('{')).toThrow(CniConfigError)
    expect(bad('{')).toThrow('/d/x.conf: not valid JSON')
    expect(bad('[]')).toThrow('expected a JSON object')
    expect(bad('{"type":"bridge"}')).toThrow('missing "name"')
    expect(bad('{"name":"a b","type":"bridge"}')).toThrow("invalid network name 'a b'")
    expect(bad('{"name":"n","cniVersion":"1.1.0","type":"bridge"}')).toThrow("network 'n' has unsupported cniVersion \"1.1.0\"")
    expect(bad('{"name":"n","cniVersion":"1.0.0"}')).toThrow('missing plugin "type"')
    expect(bad('{"name":"n","cniVersion":"1.0.0","plugins":[]}')).toThrow('empty "plugins" list')
    expect(bad('{"name":"n","cniVersion":"1.0.0","plugins":[{"type":"bridge"},{}]}')).toThrow("network 'n' plugins[1]: missing plugin \"type\"")
    expect(bad('{"name":"n","cniVersion":"1.0.0","type":"../../bin/sh"}')).toThrow('must be a file name')
    expect(bad('{"name":"n","cniVersion":"0.2.0","plugins":[{"type":"bridge"},{"type":"portmap"}]}')).toThrow('has no chaining')
  })

  test('versionAtLeast compares numerically', () => {
    expect(versionAtLeast('0.4.0', '0.3.0')).toBe(true)
    expect(versionAtLeast('0.3.1', '0.4.0')).toBe(false)
    expect(versionAtLeast('1.0.0', '0.4.0')).toBe(true)
    expect(versionAtLeast('0.10.0', '0.4.0')).toBe(true)
  })

  test('summary: plugins, bridge, subnets (ranges and the old subnet), capabilities', () => {
    expect(summarizeNetwork(parseNetworkFile(conflist(), '/d/a.conflist'))).toEqual({
      name: 'meso', cni_version: '1.0.0', plugins: ['bridge', 'portmap'], file: '/d/a.conflist', bridge: 'meso0', subnets: ['10.88.0.0/16'], capabilities: ['portMappings'],
    })
    const old = summarizeNetwork({ ...parseNetworkFile('{"name":"o","type":"bridge","ipam":{"type":"host-local","subnet":"10.6.0.0/24"}}', '/d/o.conf'), error: 'broken' })
    expect(old).toMatchObject({ bridge: 'cni0', subnets: ['10.6.0.0/24'], error: 'broken', capabilities: [] })
  })
})

describe('networksFromFiles / loadNetworks', () => {
  test('first file (by name) wins a duplicate network name; bad files are reported, not fatal', () => {
    const r = networksFromFiles([
      { file: '/d/20-b.conflist', text: conflist('meso') },
      { file: '/d/10-a.conflist', text: conflist('meso') },
      { file: '/d/30-c.conf', text: '{ nope' },
      { file: '/d/40-d.conf', text: '{"name":"other","cniVersion":"0.4.0","type":"macvlan","master":"eth0","ipam":{"type":"dhcp"}}' },
    ], () => true)
    expect([...r.networks.keys()]).toEqual(['meso', 'other'])
    expect(r.networks.get('meso')!.file).toBe('/d/10-a.conflist')
    expect(r.problems).toEqual([
      "/d/20-b.conflist: network 'meso' is already defined in /d/10-a.conflist; ignored",
      expect.stringContaining('/d/30-c.conf: not valid JSON'),
    ])
  })

  test('a network needing a missing plugin (or IPAM plugin) is listed with an error', () => {
    const installed = new Set(['bridge', 'portmap'])
    const r = networksFromFiles([{ file: '/d/a.conflist', text: conflist() }], t => installed.has(t))
    expect(requiredPlugins(r.networks.get('meso')!)).toEqual(['bridge', 'host-local', 'portmap'])
    expect(r.networks.get('meso')!.error).toBe("plugin 'host-local' not found in the plugins directory")
  })

  test('reads .conf/.conflist/.json files only, finds executables in the plugin dirs', () => {
    const conf = join(scratch, 'net.d'); const bin1 = join(scratch, 'bin1'); const bin2 = join(scratch, 'bin2')
    for (const d of [conf, bin1, bin2]) mkdirSync(d, { recursive: true })
    writeFileSync(join(conf, '10-meso.conflist'), conflist())
    writeFileSync(join(conf, '20-x.json'), '{"name":"x","cniVersion":"1.0.0","type":"bridge"}')
    writeFileSync(join(conf, 'README'), 'not a config')
    writeFileSync(join(conf, '.hidden.conf'), '{')
    for (const [dir, p] of [[bin1, 'bridge'], [bin2, 'portmap'], [bin2, 'bridge']] as const) { writeFileSync(join(dir, p), '#!/bin/sh\n'); chmodSync(join(dir, p), 0o755) }
    writeFileSync(join(bin1, 'host-local'), 'not executable')
    expect(findPlugin('bridge', [bin1, bin2])).toBe(join(bin1, 'bridge'))
    expect(findPlugin('portmap', [bin1, bin2])).toBe(join(bin2, 'portmap'))
    expect(findPlugin('host-local', [bin1, bin2])).toBeUndefined()
    const r = loadNetworks(conf, [bin1, bin2])
    expect([...r.networks.keys()]).toEqual(['meso', 'x'])
    expect(r.networks.get('meso')!.error).toContain("'host-local' not found")
    expect(r.networks.get('x')!.error).toBeUndefined()
    expect(r.problems).toEqual([])
    expect(loadNetworks(join(scratch, 'missing'), []).problems[0]).toContain('cannot read --network_cni_config_dir')
    expect(loadNetworks(undefined, []).networks.size).toBe(0)
  })
})

describe('plugin configs', () => {
  const network = parseNetworkFile(conflist(), '/d/a.conflist')
  const info = {
    name: 'meso',
    labels: { labels: [{ key: 'IP', value: '10.88.0.9' }, { key: 'app', value: 'web' }, { key: 'bad key', value: 'x' }, { key: 'q', value: 'a=b' }] },
    port_mappings: [{ host_port: 31080, container_port: 80 }, { host_port: 31053, container_port: 53, protocol: 'UDP' }],
  }

  test('each plugin gets name and cniVersion; runtimeConfig only where the capability is declared; args carry the NetworkInfo', () => {
    const [bridge, portmap] = pluginConfigs(network, info)
    expect(bridge).toMatchObject({ type: 'bridge', name: 'meso', cniVersion: '1.0.0', bridge: 'meso0' })
    expect(bridge!.runtimeConfig).toBeUndefined()
    expect(portmap!.runtimeConfig).toEqual({ portMappings: [{ hostPort: 31080, containerPort: 80, protocol: 'tcp' }, { hostPort: 31053, containerPort: 53, protocol: 'udp' }] })
    expect(bridge!.args).toEqual({
      'org.apache.mesos': { network_info: info },
      cni: { labels: [{ key: 'IP', value: '10.88.0.9' }, { key: 'app', value: 'web' }, { key: 'bad key', value: 'x' }, { key: 'q', value: 'a=b' }] },
    })
    const plain = pluginConfigs(network, { name: 'meso' })
    expect(plain[1]!.runtimeConfig).toBeUndefined()
    expect(plain[0]!.args).toEqual({ 'org.apache.mesos': { network_info: { name: 'meso' } } })
  })

  test('prevResult: chained into ADD from 0.3.0, into DEL from 0.4.0', () => {
    const prev = { cniVersion: '1.0.0', ips: [] }
    const conf = (v: string) => ({ type: 'portmap', name: 'n', cniVersion: v })
    expect(invocationConfig(conf('1.0.0'), 'ADD', prev)).toEqual({ ...conf('1.0.0'), prevResult: prev })
    expect(invocationConfig(conf('0.3.1'), 'ADD', prev).prevResult).toBe(prev)
    expect(invocationConfig(conf('0.3.1'), 'DEL', prev).prevResult).toBeUndefined()
    expect(invocationConfig(conf('0.4.0'), 'DEL', prev).prevResult).toBe(prev)
    expect(invocationConfig(conf('0.2.0'), 'ADD', prev).prevResult).toBeUndefined()
    expect(invocationConfig(conf('1.0.0'), 'ADD', undefined)).toEqual(conf('1.0.0'))
  })

  test('CNI_ARGS: IgnoreUnknown plus the labels the format can carry', () => {
    expect(cniArgsEnv(info)).toBe('IgnoreUnknown=1;IP=10.88.0.9;app=web')
    expect(cniArgsEnv({ name: 'x' })).toBe('IgnoreUnknown=1')
    expect(pluginEnv('DEL', { containerId: 'c1', netnsPath: '/var/run/netns/meso-c1', ifName: 'eth1', cniArgs: 'IgnoreUnknown=1', pluginDirs: ['/a', '/b'] }, '/bin')).toEqual({
      CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c1', CNI_NETNS: '/var/run/netns/meso-c1', CNI_IFNAME: 'eth1', CNI_ARGS: 'IgnoreUnknown=1', CNI_PATH: '/a:/b', PATH: '/bin',
    })
  })
})

describe('container files', () => {
  test('hostname: ContainerInfo.hostname, else the container id; invalid ones refused', () => {
    expect(containerHostname('0b1c-22')).toBe('0b1c-22')
    expect(containerHostname('0b1c', 'web.example')).toBe('web.example')
    expect(() => containerHostname('x', 'a'.repeat(65))).toThrow('not a valid hostname')
    expect(() => containerHostname('x', 'bad_name!')).toThrow('not a valid hostname')
    expect(hostnameFile('web')).toBe('web\n')
  })

  test('/etc/hosts maps the hostname (and its short form) to the container\'s addresses', () => {
    expect(hostsFile('web.example', ['10.88.0.2'])).toBe('127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n10.88.0.2 web.example web\n')
    expect(hostsFile('c1', [])).toContain('127.0.1.1 c1\n')
  })

  test('/etc/resolv.conf: DNS of the first network that returned some, else the host\'s file', () => {
    expect(resolvConfFile([{}, { nameservers: ['10.0.0.53'], search: ['a.b'], domain: 'b', options: ['ndots:1'] }], 'nameserver 1.1.1.1\n'))
      .toBe('domain b\nsearch a.b\nnameserver 10.0.0.53\noptions ndots:1\n')
    expect(resolvConfFile([{}, {}], 'nameserver 1.1.1.1\n')).toBe('nameserver 1.1.1.1\n')
  })

  test('netns names are short and derived from the container id', () => {
    expect(netnsName('3f2a9c1e-77b0-4c2d-9e1f-0123456789ab')).toBe('meso-3f2a9c1e77b0')
  })
})

describe('network checkpoint', () => {
  test('saved atomically, loaded back, listed, removed', () => {
    const store = new NetworkStateStore(join(scratch, 'state'))
    const state = { containerId: 'c1', netns: 'meso-c1', hostname: 'c1', phase: 'adding' as const, attachments: [{ network: 'meso', ifName: 'eth0', request: { name: 'meso' }, configs: [{ type: 'bridge' }], cniArgs: 'IgnoreUnknown=1' }] }
    store.save(state)
    store.save({ ...state, phase: 'ready' })
    expect(store.load('c1')).toEqual({ ...state, phase: 'ready' })
    expect(store.containerIds()).toEqual(['c1'])
    mkdirSync(store.containerDir('c2'))
    expect(store.containerIds().sort()).toEqual(['c1', 'c2'])
    expect(store.load('c2')).toBeUndefined()
    writeFileSync(join(store.containerDir('c2'), 'state.json'), '{ torn')
    expect(store.load('c2')).toBeUndefined()
    store.remove('c1')
    expect(store.load('c1')).toBeUndefined()
  })
})

describe('default network and flags', () => {
  test('the meso conflist: bridge with host-local in its own dataDir, then portmap', () => {
    const n = parseNetworkFile(JSON.stringify(defaultNetworkConfig({ subnet: '10.213.0.0/16', dataDir: '/w/cni/networks' })), 'meso.conflist')
    expect(n.plugins.map(p => p.type)).toEqual(['bridge', 'portmap'])
    expect(summarizeNetwork(n)).toMatchObject({ name: 'meso', bridge: 'meso0', subnets: ['10.213.0.0/16'], capabilities: ['portMappings'] })
    expect((n.plugins[0]!.ipam as any).dataDir).toBe('/w/cni/networks')
  })

  test('subnet choice avoids every route but the default one', () => {
    expect(cidrsOverlap('10.213.0.0/16', '10.213.5.0/24')).toBe(true)
    expect(cidrsOverlap('10.213.0.0/16', '10.0.0.0/8')).toBe(true)
    expect(cidrsOverlap('10.213.0.0/16', '10.214.0.0/16')).toBe(false)
    expect(pickSubnet(['0.0.0.0/0', '192.0.2.0/24'])).toBe('10.213.0.0/16')
    expect(pickSubnet(['10.213.0.0/16', '10.214.7.0/24'])).toBe('10.215.0.0/16')
    expect(pickSubnet(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])).toBeUndefined()
  })

  test('host routes from /proc/net/route', () => {
    const f = join(scratch, 'route')
    writeFileSync(f, 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n')
    expect(hostRoutes(f)).toEqual(['0.0.0.0/0', '192.0.2.0/24'])
  })

  test('ensureDefaultNetwork writes meso.conflist once and keeps a user\'s own meso network', () => {
    const dir = join(scratch, 'up', 'net.d')
    const first = ensureDefaultNetwork(dir, join(scratch, 'up', 'networks'))
    expect(first.created).toBe(true)
    expect(JSON.parse(readFileSync(first.file!, 'utf8')).name).toBe('meso')
    expect(ensureDefaultNetwork(dir, '/elsewhere')).toEqual({ created: false, file: first.file })
    const own = join(scratch, 'own')
    mkdirSync(own)
    writeFileSync(join(own, '50-mine.conflist'), conflist('meso'))
    expect(ensureDefaultNetwork(own, '/x')).toEqual({ created: false, file: join(own, '50-mine.conflist') })
  })

  test('network/cni is on with the isolator name or both dirs; one dir alone is an error', () => {
    expect(cniWanted({ isolation: 'cgroups/cpu, network/cni' })).toBe(true)
    expect(cniWanted({ network_cni_plugins_dir: '/a', network_cni_config_dir: '/b' })).toBe(true)
    expect(cniWanted({ network_cni_config_dir: '/b' })).toBe(false)
    expect(() => createCniIsolator('posix', { isolation: 'network/cni', network_cni_config_dir: '/b' }, scratch)).toThrow('must be given together')
    expect(() => createCniIsolator('posix', { network_cni_plugins_dir: '/nope', network_cni_config_dir: scratch }, scratch)).toThrow("'/nope' does not exist")
    expect(createCniIsolator('posix', { network_cni_plugins_dir: scratch, network_cni_config_dir: scratch }, scratch)).toBeUndefined()
    const cni = createCniIsolator('linux', { isolation: 'network/cni' }, scratch)
    expect(cni!.name).toBe('network/cni')
    expect(cni!.networking.listNetworks()).toEqual([])
  })
})
