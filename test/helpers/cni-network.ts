// A CNI network of a test's own (unique name, bridge and subnet, IPAM store in a temp dir) so parallel runs never
// clash, the checks that nothing of it leaked (IPAM leases, veths, netns, mounts, iptables), and the cleanup that
// leaves the host as the test found it (bridge deleted, ip_forward restored, portmap's shared chains removed).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultNetworkConfig, findPluginsDir, hostRoutes, pickSubnet } from '../../src/agent/isolators/network/cni/default-network.ts'
import { netnsName, netnsPath } from '../../src/agent/isolators/network/cni/netns.ts'

/** Why CNI tests cannot run here, or undefined. */
export function cniUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'CNI tests need root'
  if (!findPluginsDir()) return 'the CNI plugins (bridge, host-local, portmap) are not installed'
  if (!Bun.which('ip') || !Bun.which('iptables')) return 'iproute2 and iptables are needed'
  return undefined
}

const sh = (argv: string[]) => {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  return r.stdout.toString()
}
const natRules = () => sh(['iptables', '-w', '-t', 'nat', '-S'])
/** portmap's chains shared by every container (never removed by DEL). */
const SHARED_CHAINS = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']

/**
 * Deletes the network namespaces of containers whose agent was stopped under them (kill -9, or a stop right after a
 * task ended, before its teardown ran): the agent's next start would release them, but a test's agent never starts
 * again, and the namespace bind mounts outlive the temp dir. Deleting a namespace takes its veth pair with it.
 */
export function releaseLeftNetns(root: string): void {
  for (const state of new Bun.Glob('**/run/isolators/network/cni/*/state.json').scanSync({ cwd: root, absolute: true, dot: true })) {
    let netns: string | undefined
    try { netns = (JSON.parse(readFileSync(state, 'utf8')) as { netns?: string }).netns } catch { continue }
    if (netns?.startsWith('meso-') && existsSync(netnsPath(netns))) sh(['ip', 'netns', 'del', netns])
  }
}

export interface TestNetwork {
  name: string
  bridge: string
  subnet: string
  configDir: string
  pluginsDir: string
  dataDir: string
  /** Agent flags that enable it. */
  agentFlags: string[]
  /** Writes another network config into the same config dir. */
  addConfig(fileName: string, config: unknown): void
  /** Everything of these containers (and of the network) still on the host; empty when nothing leaked. */
  leaks(containerIds: string[], stateDir?: string): string[]
  cleanup(): void
}

/**
 * `prefixLength` (16–24, default 24: 253 addresses) sizes the subnet for more containers at once (the agent-scale
 * benchmark's 1,000 want a /21).
 */
export function createTestNetwork(dir: string, { prefixLength = 24 }: { prefixLength?: number } = {}): TestNetwork {
  if (!Number.isInteger(prefixLength) || prefixLength < 16 || prefixLength > 24) throw new Error(`createTestNetwork: prefix length ${prefixLength} is not within 16–24`)
  const tag = Math.random().toString(16).slice(2, 8)
  const name = `mesotest-${tag}`
  const bridge = `mt${tag}0`
  const rnd = (n: number) => Math.floor(Math.random() * n)
  const block = 2 ** (24 - prefixLength)
  const candidates = Array.from({ length: 20 }, () => `10.${200 + rnd(50)}.${rnd(256 / block) * block}.0/${prefixLength}`)
  const subnet = pickSubnet(hostRoutes(), candidates)!
  const configDir = join(dir, 'net.d')
  const dataDir = join(dir, 'ipam')
  const pluginsDir = findPluginsDir()!
  mkdirSync(configDir, { recursive: true })
  const addConfig = (fileName: string, config: unknown) => writeFileSync(join(configDir, fileName), JSON.stringify(config, null, 2))
  addConfig('10-test.conflist', defaultNetworkConfig({ name, bridge, subnet, dataDir }))
  const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()
  const cniChains = () => natRules().split('\n').filter(l => l.startsWith('-N CNI-')).map(l => l.slice(3)).filter(c => !SHARED_CHAINS.includes(c))
  const chainsBefore = new Set(cniChains())

  return {
    name, bridge, subnet, configDir, pluginsDir, dataDir,
    agentFlags: [`--network_cni_plugins_dir=${pluginsDir}`, `--network_cni_config_dir=${configDir}`],
    addConfig,
    leaks(containerIds, stateDir) {
      const found: string[] = []
      const leases = join(dataDir, name)
      if (existsSync(leases)) {
        const held = readdirSync(leases).filter(f => f !== 'lock' && !f.startsWith('last_reserved_ip'))
        if (held.length) found.push(`IPAM leases: ${held.join(', ')}`)
      }
      const veths = sh(['ip', '-o', 'link', 'show', 'master', bridge]).trim()
      if (veths) found.push(`veths on ${bridge}: ${veths.split('\n').map(l => l.split(':')[1]?.trim()).join(', ')}`)
      const names = containerIds.map(netnsName)
      const netns = sh(['ip', 'netns', 'list']).split('\n').map(l => l.split(' ')[0]!).filter(n => names.includes(n))
      if (netns.length) found.push(`netns: ${netns.join(', ')}`)
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(l => names.some(n => l.includes(`/${n} `)))
      if (mounts.length) found.push(`mounts: ${mounts.length} (${mounts[0]})`)
      const rules = natRules().split('\n').filter(l => l.includes(`"${name}"`) || containerIds.some(id => l.includes(id)))
      if (rules.length) found.push(`iptables nat rules: ${rules.join(' | ')}`)
      const chains = cniChains().filter(c => !chainsBefore.has(c))
      if (chains.length) found.push(`iptables nat chains: ${chains.join(', ')}`)
      if (stateDir && existsSync(stateDir) && readdirSync(stateDir).length) found.push(`checkpoint: ${readdirSync(stateDir).join(', ')}`)
      return found
    },
    cleanup() {
      sh(['ip', 'link', 'del', bridge])
      rmSync(dataDir, { recursive: true, force: true })
      writeFileSync('/proc/sys/net/ipv4/ip_forward', forwardBefore)
      // portmap's shared chains (it never removes them): gone again when no container on the host uses them; the
      // next portmap ADD recreates them.
      const rules = natRules()
      if (SHARED_CHAINS.some(c => rules.includes(`-N ${c}\n`)) && !/-N CNI-DN-/.test(rules)) {
        const jumps = [
          ['PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'],
          ['OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'],
          ['POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ'],
        ]
        for (const rule of jumps) sh(['iptables', '-w', '-t', 'nat', '-D', ...rule])
        for (const c of SHARED_CHAINS) { sh(['iptables', '-w', '-t', 'nat', '-F', c]); sh(['iptables', '-w', '-t', 'nat', '-X', c]) }
      }
    },
  }
}
