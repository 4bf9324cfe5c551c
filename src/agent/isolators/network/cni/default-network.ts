// The `meso` network `meso up` creates when its CNI config dir has none: a bridge (meso0, or the next mesoN the host
// does not have yet) with host-local IPAM on a subnet no host route uses, masquerading for outbound traffic, and
// portmap for `-p HOSTPORT:CONTAINERPORT`. The config builder and the bridge/subnet choice are pure;
// ensureDefaultNetwork writes the file.

import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_LINUX_ISOLATION } from '../../index.ts'
import { networksFromFiles } from './config-dir.ts'
import { isConfigFile } from './network-config.ts'
import { writeFileAtomic } from './network-state.ts'
import { bridgeConflicts, type HostNetworkState } from './bridge-conflicts.ts'
import { cidrsOverlap } from './cidr.ts'
import { readHostNetwork } from './host-network.ts'

export const DEFAULT_NETWORK = 'meso'
export const DEFAULT_BRIDGE = 'meso0'
/** Tried in order; the first that overlaps no host route is used. */
export const SUBNET_CANDIDATES = ['10.213.0.0/16', '10.214.0.0/16', '10.215.0.0/16', '10.216.0.0/16', '172.30.213.0/24', '192.168.213.0/24']
/** Where distributions install the reference plugins (Debian: containernetworking-plugins → /usr/lib/cni). */
export const PLUGIN_DIR_CANDIDATES = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni']
/** What the default network's chain needs. */
export const DEFAULT_PLUGINS = ['bridge', 'host-local', 'portmap']

export function defaultNetworkConfig(o: { subnet: string; dataDir: string; bridge?: string; name?: string }): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: o.name ?? DEFAULT_NETWORK,
    plugins: [
      {
        type: 'bridge', bridge: o.bridge ?? DEFAULT_BRIDGE, isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: o.subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: o.dataDir },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }
}

export { cidrsOverlap, parseCidr } from './cidr.ts'

/** The first candidate no route uses (the default route does not count: it covers everything). */
export function pickSubnet(routes: string[], candidates = SUBNET_CANDIDATES): string | undefined {
  const specific = routes.filter(r => !r.endsWith('/0'))
  return candidates.find(c => !specific.some(r => cidrsOverlap(c, r)))
}

/** IPv4 routes of the host from /proc/net/route (hex, little-endian) as CIDRs. */
export function hostRoutes(procNetRoute = '/proc/net/route'): string[] {
  let text = ''
  try { text = readFileSync(procNetRoute, 'utf8') } catch { return [] }
  const ip = (hex: string) => { const n = parseInt(hex, 16); return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.') }
  const bits = (hex: string) => parseInt(hex, 16).toString(2).split('').filter(c => c === '1').length
  return text.split('\n').slice(1).map(l => l.trim().split(/\s+/)).filter(f => f.length >= 8).map(f => `${ip(f[1]!)}/${bits(f[7]!)}`)
}

export function findPluginsDir(): string | undefined {
  return PLUGIN_DIR_CANDIDATES.find(d => DEFAULT_PLUGINS.every(p => existsSync(join(d, p))))
}

/** Top-level key of the configs `meso up` writes: only those may be rewritten by it (libcni ignores the key). */
export const GENERATED_BY = 'generated_by'
const GENERATED_VALUE = 'meso up'

/** Bridge names `meso up` tries, in order. */
export const BRIDGE_CANDIDATES = Array.from({ length: 10 }, (_, i) => `meso${i}`)

/**
 * Pure: a bridge no link of the host has (another cluster's meso0 keeps its own subnet) and a subnet no host route
 * uses; undefined when none is free.
 */
export function chooseBridgeAndSubnet(host: HostNetworkState, candidates = SUBNET_CANDIDATES): { bridge: string; subnet: string } | undefined {
  const bridge = BRIDGE_CANDIDATES.find(b => !host.links.has(b))
  const subnet = pickSubnet(host.routes.map(r => r.dst), candidates)
  return bridge && subnet ? { bridge, subnet } : undefined
}

/**
 * Writes `meso.conflist` into `configDir` unless a network named `meso` is already configured there and can work on
 * this host. One that `meso up` wrote itself and that now conflicts with the host (bridge-conflicts.ts: its bridge
 * holds another subnet, or its subnet is routed elsewhere) is rewritten with a free bridge and subnet; one the
 * operator wrote is left alone, and the agent reports it as broken.
 */
export function ensureDefaultNetwork(configDir: string, dataDir: string, host: HostNetworkState | undefined = readHostNetwork()): { created: boolean; file?: string; subnet?: string; bridge?: string; replaced?: string } {
  mkdirSync(configDir, { recursive: true })
  const files = readdirSync(configDir).filter(isConfigFile).map(f => ({ file: join(configDir, f), text: readFileSync(join(configDir, f), 'utf8') }))
  const existing = networksFromFiles(files, () => true).networks.get(DEFAULT_NETWORK)
  let replaced: string | undefined
  if (existing) {
    const conflict = host ? bridgeConflicts([existing], host).get(DEFAULT_NETWORK) : undefined
    if (!conflict || !generatedByMeso(files.find(f => f.file === existing.file)?.text)) return { created: false, file: existing.file }
    replaced = conflict
  }
  const choice = host ? chooseBridgeAndSubnet(host) : (s => s && { bridge: DEFAULT_BRIDGE, subnet: s })(pickSubnet(hostRoutes()))
  if (!choice) return { created: false }
  const file = existing?.file ?? join(configDir, `${DEFAULT_NETWORK}.conflist`)
  const config = { ...defaultNetworkConfig({ ...choice, dataDir }), [GENERATED_BY]: GENERATED_VALUE }
  writeFileAtomic(file, JSON.stringify(config, null, 2) + '\n')
  return { created: true, file, ...choice, ...(replaced ? { replaced } : {}) }
}

function generatedByMeso(text: string | undefined): boolean {
  try { return (JSON.parse(text ?? '') as Record<string, unknown>)[GENERATED_BY] === GENERATED_VALUE } catch { return false }
}

/**
 * The agent flags `meso up` adds so containers can join the `meso` network: the CNI dirs and `network/cni` in
 * --isolation. Undefined (host network only) when the linux launcher is not used or the plugins are not installed.
 */
export function upNetworkFlags(base: string, o: { launcher?: string; isolation?: string; linuxUnavailable?: string }): { flags: Record<string, string>; note: string } | undefined {
  if (o.launcher === 'posix' || o.linuxUnavailable) return undefined
  const pluginsDir = findPluginsDir()
  if (!pluginsDir) return undefined
  const configDir = join(base, 'cni', 'net.d')
  const made = ensureDefaultNetwork(configDir, join(base, 'cni', 'networks'))
  const names = (o.isolation ?? DEFAULT_LINUX_ISOLATION).split(',').map(s => s.trim()).filter(Boolean)
  if (!names.includes('network/cni')) names.push('network/cni')
  const note = made.replaced ? `rewrote CNI network '${DEFAULT_NETWORK}' in ${made.file} to ${made.subnet} on bridge ${made.bridge}: ${made.replaced}`
    : made.created ? `created CNI network '${DEFAULT_NETWORK}' (${made.subnet} on bridge ${made.bridge}) in ${made.file}`
    : made.file ? `CNI network '${DEFAULT_NETWORK}' from ${made.file}` : `no free subnet for the '${DEFAULT_NETWORK}' network; add one to ${configDir}`
  return { flags: { network_cni_plugins_dir: pluginsDir, network_cni_config_dir: configDir, isolation: names.join(',') }, note }
}
