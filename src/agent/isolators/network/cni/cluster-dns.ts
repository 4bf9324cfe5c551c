// The cluster's DNS for containers on the `meso` network that `meso up` writes: a `dns` block in the bridge plugin's
// config, which the plugin returns in its result and the isolator turns into the container's /etc/resolv.conf
// (container-files.ts): the master's DNS at the bridge's gateway address, and the DNS domain in the search path, so
// `web.marathon.mesos` (and `web.marathon`) resolve from inside a task. resolv.conf cannot name a port, so this is
// only done when the master's DNS listens on port 53 on every address (docs/discovery.md). Only configs `meso up`
// generated are touched.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCidr } from './cidr.ts'
import { GENERATED_BY, DEFAULT_NETWORK } from './default-network.ts'
import { isConfigFile } from './network-config.ts'
import { writeFileAtomic } from './network-state.ts'

export interface ClusterDns { search: string[] }

/** The gateway host-local gives a bridge by default: the subnet's first address (10.213.0.0/16 → 10.213.0.1). */
export function gatewayOf(subnet: string): string | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(subnet)) return undefined
  const [base, len] = parseCidr(subnet)
  if (len > 30) return undefined
  const n = (base + 1) >>> 0
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** Pure: the config with the bridge plugin's `dns` set to the gateway and `search`; undefined when not applicable. */
export function withClusterDns(config: Record<string, any>, dns: ClusterDns): Record<string, any> | undefined {
  const plugins = Array.isArray(config.plugins) ? config.plugins : undefined
  const bridge = plugins?.find((p: any) => p?.type === 'bridge')
  const subnet = bridge?.ipam?.ranges?.[0]?.[0]?.subnet ?? bridge?.ipam?.subnet
  const gateway = typeof subnet === 'string' ? (bridge?.ipam?.ranges?.[0]?.[0]?.gateway ?? gatewayOf(subnet)) : undefined
  if (!bridge || !gateway) return undefined
  const want = { nameservers: [gateway], search: dns.search }
  if (JSON.stringify(bridge.dns) === JSON.stringify(want)) return config
  return { ...config, plugins: plugins!.map((p: any) => (p === bridge ? { ...p, dns: want } : p)) }
}

/**
 * Sets (or updates) the cluster DNS in the `meso` network config that `meso up` generated in `configDir`; returns the
 * nameserver containers get, or undefined (no such config, or one the operator wrote: left alone).
 */
export function applyClusterDns(configDir: string, dns: ClusterDns): string | undefined {
  let files: string[]
  try { files = readdirSync(configDir).filter(isConfigFile) } catch { return undefined }
  for (const f of files) {
    const file = join(configDir, f)
    let config: Record<string, any>
    try { config = JSON.parse(readFileSync(file, 'utf8')) } catch { continue }
    if (config?.name !== DEFAULT_NETWORK || config[GENERATED_BY] !== 'meso up') continue
    const next = withClusterDns(config, dns)
    if (!next) return undefined
    if (next !== config) writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n')
    return next.plugins.find((p: any) => p?.type === 'bridge').dns.nameservers[0]
  }
  return undefined
}
