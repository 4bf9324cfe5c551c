// Bridge networks that cannot work on this host (bridge-conflicts.ts), the host snapshot they are checked against
// (host-network.ts), and how `meso up` picks or rewrites its own `meso` network (default-network.ts).

import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bridgeConflicts, bridgeUse, inSubnet, type HostNetworkState } from '../../src/agent/isolators/network/cni/bridge-conflicts.ts'
import { CniNetworking } from '../../src/agent/isolators/network/cni/cni-networking.ts'
import { chooseBridgeAndSubnet, defaultNetworkConfig, ensureDefaultNetwork, GENERATED_BY } from '../../src/agent/isolators/network/cni/default-network.ts'
import { parseHostNetwork } from '../../src/agent/isolators/network/cni/host-network.ts'
import { parseNetworkFile, type CniNetwork } from '../../src/agent/isolators/network/cni/network-config.ts'

const scratch = mkdtempSync(join(tmpdir(), 'meso-cni-conflicts-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const network = (name: string, bridge: string, subnet: string, file = `/d/${name}.conflist`): CniNetwork =>
  parseNetworkFile(JSON.stringify(defaultNetworkConfig({ name, bridge, subnet, dataDir: '/x' })), file)
const host = (links: Record<string, string[]>, routes: { dst: string; dev: string }[] = []): HostNetworkState => ({ links: new Map(Object.entries(links)), routes })

describe('bridge conflicts', () => {
  test('a bridge network: its bridge, subnets and whether it is the gateway', () => {
    expect(bridgeUse(network('meso', 'meso0', '10.213.0.0/16'))).toEqual({ bridge: 'meso0', subnets: ['10.213.0.0/16'], isGateway: true })
    expect(bridgeUse(parseNetworkFile('{"cniVersion":"1.0.0","name":"lo","type":"loopback"}', '/d/lo.conf'))).toBeUndefined()
    expect(inSubnet('10.213.0.1/16', '10.213.0.0/16')).toBe(true)
    expect(inSubnet('10.214.0.1', '10.213.0.0/16')).toBe(false)
  })

  test('the bridge already holding another subnet (another cluster made it) is a conflict naming both', () => {
    const c = bridgeConflicts([network('meso', 'meso0', '10.214.0.0/16')], host({ meso0: ['10.213.0.1/16'] }, [{ dst: '10.213.0.0/16', dev: 'meso0' }]))
    expect(c.get('meso')).toStartWith('bridge meso0 already exists with 10.213.0.1/16, outside this network\'s subnet 10.214.0.0/16')
    expect(c.get('meso')).toContain('ip link delete meso0')
  })

  test('the bridge with our own gateway, or no bridge yet, is fine', () => {
    const ours = host({ meso0: ['10.213.0.1/16'] }, [{ dst: '10.213.0.0/16', dev: 'meso0' }])
    expect(bridgeConflicts([network('meso', 'meso0', '10.213.0.0/16')], ours).size).toBe(0)
    expect(bridgeConflicts([network('meso', 'meso1', '10.214.0.0/16')], ours).size).toBe(0)
  })

  test('a subnet routed through another device is a conflict', () => {
    const c = bridgeConflicts([network('meso', 'meso0', '10.213.0.0/16')], host({ eth1: ['10.213.5.2/24'] }, [{ dst: '10.213.5.0/24', dev: 'eth1' }]))
    expect(c.get('meso')).toBe('subnet 10.213.0.0/16 overlaps the host route 10.213.5.0/24 on eth1: containers could not reach those addresses and the host would route their traffic astray; give this network another subnet')
  })

  test('two networks of one config dir on the same bridge with different subnets: the later one is reported', () => {
    const c = bridgeConflicts([network('a', 'br9', '10.1.0.0/24', '/d/10-a.conflist'), network('b', 'br9', '10.2.0.0/24', '/d/20-b.conflist')], host({}))
    expect([...c.keys()]).toEqual(['b'])
    expect(c.get('b')).toContain("bridge br9 is also the bridge of network 'a' (/d/10-a.conflist) with subnet 10.1.0.0/24")
  })

  test('the host snapshot from iproute2 JSON', () => {
    const addr = JSON.stringify([
      { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      { ifname: 'meso0', addr_info: [{ family: 'inet', local: '10.213.0.1', prefixlen: 16 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
    ])
    const route = JSON.stringify([{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0' }, { dst: '10.213.0.0/16', dev: 'meso0' }, { dst: '192.0.2.7', dev: 'eth0' }])
    const h = parseHostNetwork(addr, route)
    expect(h.links.get('meso0')).toEqual(['10.213.0.1/16'])
    expect(h.routes).toEqual([{ dst: '10.213.0.0/16', dev: 'meso0' }, { dst: '192.0.2.7/32', dev: 'eth0' }])
    expect(parseHostNetwork('garbage', '').links.size).toBe(0)
  })

  test('the agent lists a conflicting network with its reason and refuses launches on it', async () => {
    const dir = join(scratch, 'agent-net.d')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'meso.conflist'), JSON.stringify(defaultNetworkConfig({ name: 'meso', bridge: 'meso0', subnet: '10.214.0.0/16', dataDir: '/x' })))
    const cni = new CniNetworking({ pluginDirs: [], configDir: dir, stateDir: join(scratch, 'state'), hostNetwork: () => host({ meso0: ['10.213.0.1/16'] }) })
    // No plugin binaries either: that error comes first and stays the one shown.
    expect(cni.listNetworks()[0]!.error).toContain('not found in the plugins directory')
    const bin = join(scratch, 'bin')
    mkdirSync(bin, { recursive: true })
    for (const p of ['bridge', 'host-local', 'portmap']) writeFileSync(join(bin, p), '#!/bin/sh\n', { mode: 0o755 })
    const withPlugins = new CniNetworking({ pluginDirs: [bin], configDir: dir, stateDir: join(scratch, 'state'), hostNetwork: () => host({ meso0: ['10.213.0.1/16'] }) })
    expect(withPlugins.listNetworks()[0]!.error).toStartWith('bridge meso0 already exists with 10.213.0.1/16')
    await expect(withPlugins.setup('c1', { type: 'MESOS', network_infos: [{ name: 'meso' }] } as any, { sandbox: scratch })).rejects.toThrow("CNI network 'meso' cannot be used: bridge meso0 already exists")
  })

  test('setups share one read of the host for a second; a conflict in a shared read is read again before it refuses', async () => {
    const dir = join(scratch, 'shared-read-net.d')
    const bin = join(scratch, 'shared-read-bin')
    mkdirSync(dir, { recursive: true })
    mkdirSync(bin, { recursive: true })
    writeFileSync(join(dir, 'meso.conflist'), JSON.stringify(defaultNetworkConfig({ name: 'meso', bridge: 'meso0', subnet: '10.214.0.0/16', dataDir: '/x' })))
    for (const p of ['bridge', 'host-local', 'portmap']) writeFileSync(join(bin, p), '#!/bin/sh\n', { mode: 0o755 })
    let reads = 0
    const cni = new CniNetworking({ pluginDirs: [bin], configDir: dir, stateDir: join(scratch, 'shared-read-state'), hostNetwork: () => { reads++; return host({ meso0: ['10.213.0.1/16'] }) } })
    cni.networks(1_000)
    cni.networks(1_000)
    expect(reads).toBe(1)
    // What an operator asks for is read fresh.
    expect(cni.listNetworks()[0]!.error).toStartWith('bridge meso0 already exists')
    expect(reads).toBe(2)
    await expect(cni.setup('c1', { type: 'MESOS', network_infos: [{ name: 'meso' }] } as any, { sandbox: scratch })).rejects.toThrow("CNI network 'meso' cannot be used")
    expect(reads).toBe(3)
  })
})

describe('meso up\'s own network', () => {
  test('picks a bridge the host does not have and a subnet no route uses', () => {
    expect(chooseBridgeAndSubnet(host({}))).toEqual({ bridge: 'meso0', subnet: '10.213.0.0/16' })
    expect(chooseBridgeAndSubnet(host({ meso0: ['10.213.0.1/16'] }, [{ dst: '10.213.0.0/16', dev: 'meso0' }]))).toEqual({ bridge: 'meso1', subnet: '10.214.0.0/16' })
  })

  test('rewrites the config it wrote when it conflicts with the host; keeps an operator\'s and a working one', () => {
    const other = host({ meso0: ['10.213.0.1/16'] }, [{ dst: '10.213.0.0/16', dev: 'meso0' }])
    const dir = join(scratch, 'up1')
    // A recreated state dir on a host where another cluster owns meso0: a new network on meso1.
    const made = ensureDefaultNetwork(dir, '/data', other)
    expect(made).toMatchObject({ created: true, bridge: 'meso1', subnet: '10.214.0.0/16' })
    const written = JSON.parse(readFileSync(made.file!, 'utf8'))
    expect(written[GENERATED_BY]).toBe('meso up')
    expect(ensureDefaultNetwork(dir, '/data', host({ ...Object.fromEntries(other.links), meso1: ['10.214.0.1/16'] }, other.routes))).toEqual({ created: false, file: made.file })
    // Its config from before, now conflicting (meso0 holds 10.213 but it says 10.215): rewritten.
    const stale = join(scratch, 'up2')
    mkdirSync(stale)
    writeFileSync(join(stale, 'meso.conflist'), JSON.stringify({ ...defaultNetworkConfig({ name: 'meso', bridge: 'meso0', subnet: '10.215.0.0/16', dataDir: '/data' }), [GENERATED_BY]: 'meso up' }))
    const again = ensureDefaultNetwork(stale, '/data', other)
    expect(again).toMatchObject({ created: true, file: join(stale, 'meso.conflist'), bridge: 'meso1', subnet: '10.214.0.0/16' })
    expect(again.replaced).toStartWith('bridge meso0 already exists with 10.213.0.1/16')
    // The operator's own config is never rewritten: the agent reports it instead.
    const own = join(scratch, 'up3')
    mkdirSync(own)
    writeFileSync(join(own, 'meso.conflist'), JSON.stringify(defaultNetworkConfig({ name: 'meso', bridge: 'meso0', subnet: '10.215.0.0/16', dataDir: '/data' })))
    expect(ensureDefaultNetwork(own, '/data', other)).toEqual({ created: false, file: join(own, 'meso.conflist') })
  })
})
