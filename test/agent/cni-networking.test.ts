// The network/cni isolator against real plugins and namespaces, without containers: setup gives each container a
// namespace and an address, teardown and recover() release everything; and, with recording plugins, what each
// plugin is given (prevResult chaining, runtimeConfig, args, CNI_ARGS, DEL in reverse with the ADD result).

import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CniNetworking } from '../../src/agent/isolators/network/cni/cni-networking.ts'
import { netnsName, netnsPath } from '../../src/agent/isolators/network/cni/netns.ts'
import { cniUnavailable, createTestNetwork, type TestNetwork } from '../helpers/cni-network.ts'
import { tempDir } from '../helpers/processes.ts'

const problem = cniUnavailable()
if (problem) console.warn(`\n*** SKIPPING CNI isolator tests: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const dir = tempDir('meso-cni-iso-')
const stateDir = join(dir, 'state')
let net: TestNetwork | undefined
afterAll(async () => {
  // Whatever a failed test left behind is released from the checkpoint, as an agent restart would.
  if (net) await new CniNetworking({ pluginDirs: [net.pluginsDir], configDir: net.configDir, stateDir }).recover(new Set())
  net?.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const container = (...names: string[]) => ({ type: 'MESOS' as const, network_infos: names.map(name => ({ name })) })
const opts = { sandbox: '/tmp', resources: undefined as any }
const ids = (n: number) => Array.from({ length: n }, () => crypto.randomUUID())
const inNetns = (id: string, ...argv: string[]) => Bun.spawnSync(['ip', 'netns', 'exec', netnsName(id), ...argv]).stdout.toString()

suite('network/cni with the bridge, host-local and portmap plugins', () => {
  const make = () => new CniNetworking({ pluginDirs: [net!.pluginsDir], configDir: net!.configDir, stateDir })

  test('each container gets its own namespace and address; teardown releases all of it', async () => {
    net = createTestNetwork(dir)
    const cni = make()
    const [a, b] = ids(2)
    const sa = await cni.setup(a!, container(net.name), opts)
    const sb = await cni.setup(b!, { ...container(net.name), hostname: 'web' }, opts)
    expect(sa.netnsPath).toBe(netnsPath(netnsName(a!)))
    const ipA = sa.networkInfos[0]!.ip_addresses![0]!.ip_address!
    const ipB = sb.networkInfos[0]!.ip_addresses![0]!.ip_address!
    expect(ipA).not.toBe(ipB)
    for (const ip of [ipA, ipB]) expect(ip.startsWith(net.subnet.split('.').slice(0, 3).join('.') + '.')).toBe(true)
    expect(cni.networkInfos(a!)).toEqual([{ name: net.name, ip_addresses: [{ protocol: 'IPv4', ip_address: ipA }] }])
    expect(inNetns(a!, 'ip', '-4', '-o', 'addr', 'show')).toContain(`inet ${ipA}/24`)
    expect(inNetns(a!, 'ip', '-o', 'link', 'show', 'lo')).toContain('UP')
    // The host reaches the containers through the bridge.
    expect(Bun.spawnSync(['busybox', 'ping', '-c', '1', '-W', '2', ipB]).exitCode).toBe(0)
    expect(sb.hostname).toBe('web')
    const hosts = sb.mounts.find(m => m.destination === '/etc/hosts')!
    expect(readFileSync(hosts.source, 'utf8')).toContain(`${ipB} web\n`)
    expect(sb.mounts.map(m => m.destination).sort()).toEqual(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'])
    expect(readFileSync(sa.mounts.find(m => m.destination === '/etc/hostname')!.source, 'utf8')).toBe(`${a}\n`)
    await cni.teardown(a!)
    await cni.teardown(b!)
    await cni.teardown(b!) // idempotent
    expect(cni.networkInfos(a!)).toBeUndefined()
    expect(net.leaks([a!, b!], stateDir)).toEqual([])
  })

  test('after a restart, recover() keeps known containers and releases the others from the checkpoint', async () => {
    const first = make()
    const [keep, gone] = ids(2)
    await first.setup(keep!, container(net!.name), opts)
    await first.setup(gone!, { type: 'MESOS', network_infos: [{ name: net!.name, port_mappings: [{ host_port: 31999, container_port: 80 }] }] }, opts)
    const restarted = make()
    await restarted.recover(new Set([keep!]))
    expect(restarted.networkInfos(keep!)![0]!.name).toBe(net!.name)
    expect(existsSync(netnsPath(netnsName(gone!)))).toBe(false)
    expect(existsSync(netnsPath(netnsName(keep!)))).toBe(true)
    await restarted.teardown(keep!)
    expect(net!.leaks([keep!, gone!], stateDir)).toEqual([])
  })

  test('an unknown network, a broken plugin config and a missing capability fail before or without leaving anything', async () => {
    const cni = make()
    const [x] = ids(1)
    await expect(cni.setup(x!, container('nope'), opts)).rejects.toThrow(`unknown CNI network 'nope' (networks on this agent: ${net!.name})`)
    net!.addConfig('20-broken.conflist', { cniVersion: '1.0.0', name: 'broken', plugins: [{ type: 'bridge', bridge: net!.bridge, ipam: { type: 'host-local', ranges: [[{ subnet: 'not-a-cidr' }]], dataDir: net!.dataDir } }] })
    const err = (await cni.setup(x!, container('broken'), opts).catch(e => e)) as Error
    expect(err.message).toStartWith(`network 'broken': CNI plugin 'bridge' ADD for container ${x} failed: `)
    expect(err.message).toContain('not-a-cidr')
    net!.addConfig('30-plain.conf', { cniVersion: '0.4.0', name: 'plain', type: 'bridge', bridge: net!.bridge, ipam: { type: 'host-local', subnet: net!.subnet, dataDir: net!.dataDir } })
    await expect(cni.setup(x!, { type: 'MESOS', network_infos: [{ name: 'plain', port_mappings: [{ host_port: 31998, container_port: 80 }] }] }, opts)).rejects.toThrow("CNI network 'plain' takes no port mappings")
    expect(net!.leaks([x!], stateDir)).toEqual([])
    expect(cni.listNetworks().map(n => n.name)).toEqual([net!.name, 'broken', 'plain'])
  })
})

suite('what plugins are given (recording plugins)', () => {
  test('ADD chains prevResult; capabilities and args reach the plugins; DEL runs in reverse with the ADD result', async () => {
    const root = join(dir, 'rec')
    const bin = join(root, 'bin'), conf = join(root, 'net.d'), log = join(root, 'calls.log')
    for (const d of [bin, conf]) mkdirSync(d, { recursive: true })
    const plugin = (type: string, addResult: string) => {
      writeFileSync(join(bin, type), `#!/bin/sh
in=$(cat)
printf '{"plugin":"${type}","cmd":"%s","ifname":"%s","args":"%s","netns":"%s","stdin":%s}\\n' "$CNI_COMMAND" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_NETNS" "$in" >> ${log}
if [ "$CNI_COMMAND" = ADD ]; then echo '${addResult}'; fi
`)
      chmodSync(join(bin, type), 0o755)
    }
    const first = '{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"x"}],"ips":[{"version":"4","interface":0,"address":"10.77.0.5/24"}],"dns":{"nameservers":["10.77.0.1"],"search":["rec.local"]}}'
    const last = '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.77.0.6/24"}],"dns":{}}'
    plugin('rec-a', first)
    plugin('rec-b', last)
    writeFileSync(join(bin, 'rec-fail'), '#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = DEL ] && exit 0\necho \'{"code":11,"msg":"no more addresses","details":"range 10.77.0.0/30 is full"}\'\nexit 1\n')
    chmodSync(join(bin, 'rec-fail'), 0o755)
    writeFileSync(join(conf, 'rec.conflist'), JSON.stringify({ cniVersion: '0.4.0', name: 'rec', plugins: [{ type: 'rec-a', mtu: 1400 }, { type: 'rec-b', capabilities: { portMappings: true } }] }))
    writeFileSync(join(conf, 'two.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'two', type: 'rec-a' }))
    writeFileSync(join(conf, 'fails.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'fails', plugins: [{ type: 'rec-a' }, { type: 'rec-fail' }] }))
    const stateDir = join(root, 'state')
    const cni = new CniNetworking({ pluginDirs: [bin], configDir: conf, stateDir, hostResolvConf: '/dev/null' })
    const [id] = ids(1)
    const request = { name: 'rec', labels: { labels: [{ key: 'app', value: 'web' }] }, port_mappings: [{ host_port: 31080, container_port: 80, protocol: 'tcp' }] }
    const s = await cni.setup(id!, { type: 'MESOS', network_infos: [request, { name: 'two' }] }, opts)
    expect(s.networkInfos).toEqual([
      { name: 'rec', ip_addresses: [{ protocol: 'IPv4', ip_address: '10.77.0.6' }], labels: request.labels, port_mappings: request.port_mappings },
      { name: 'two', ip_addresses: [{ protocol: 'IPv4', ip_address: '10.77.0.5' }] },
    ])
    expect(readFileSync(s.mounts.find(m => m.destination === '/etc/resolv.conf')!.source, 'utf8')).toBe('search rec.local\nnameserver 10.77.0.1\n')
    expect(readFileSync(s.mounts.find(m => m.destination === '/etc/hosts')!.source, 'utf8')).toContain(`10.77.0.6 ${id}\n10.77.0.5 ${id}\n`)
    await cni.teardown(id!)
    const calls = readFileSync(log, 'utf8').trim().split('\n').map(l => JSON.parse(l))
    expect(calls.map(c => `${c.cmd} ${c.plugin} ${c.ifname}`)).toEqual(['ADD rec-a eth0', 'ADD rec-b eth0', 'ADD rec-a eth1', 'DEL rec-a eth1', 'DEL rec-b eth0', 'DEL rec-a eth0'])
    const [addA, addB, , , delB, delA] = calls
    expect(addA.stdin).toMatchObject({ type: 'rec-a', name: 'rec', cniVersion: '0.4.0', mtu: 1400, args: { 'org.apache.mesos': { network_info: request }, cni: { labels: [{ key: 'app', value: 'web' }] } } })
    expect(addA.stdin.prevResult).toBeUndefined()
    expect(addA.stdin.runtimeConfig).toBeUndefined()
    expect(addB.stdin.prevResult).toEqual(JSON.parse(first))
    expect(addB.stdin.runtimeConfig).toEqual({ portMappings: [{ hostPort: 31080, containerPort: 80, protocol: 'tcp' }] })
    expect(addA.args).toBe('IgnoreUnknown=1;app=web')
    expect(addA.netns).toBe(netnsPath(netnsName(id!)))
    for (const del of [delA, delB]) expect(del.stdin.prevResult).toEqual(JSON.parse(last))
    expect(delB.stdin.runtimeConfig).toEqual(addB.stdin.runtimeConfig)
    expect(existsSync(netnsPath(netnsName(id!)))).toBe(false)

    // A failing plugin: its own message in the error; what ADD had done is undone (DEL of the whole chain).
    writeFileSync(log, '')
    const [y] = ids(1)
    await expect(cni.setup(y!, container('fails'), opts)).rejects.toThrow(`network 'fails': CNI plugin 'rec-fail' ADD for container ${y} failed: no more addresses: range 10.77.0.0/30 is full (CNI error code 11)`)
    expect(readFileSync(log, 'utf8').trim().split('\n').map(l => JSON.parse(l)).map(c => `${c.cmd} ${c.plugin}`)).toEqual(['ADD rec-a', 'DEL rec-a'])
    expect(existsSync(netnsPath(netnsName(y!)))).toBe(false)
    expect(cni.store.containerIds()).toEqual([])
  })
})
