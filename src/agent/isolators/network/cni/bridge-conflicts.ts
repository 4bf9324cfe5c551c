// Whether the host can carry a bridge network as configured. Two clusters (or a state dir that was recreated) can
// configure the same bridge name with different subnets: the bridge plugin then finds the bridge holding the other
// gateway and every ADD fails, while the config itself looks fine. Checked against what the host has (host-network.ts)
// so that `meso network list` shows the network as broken and launches fail with the reason, not the plugin's error.
// Pure: configs and a host snapshot in, one message per conflicting network out.

import { cidrsOverlap, parseCidr } from './cidr.ts'
import type { CniNetwork } from './network-config.ts'

export interface HostNetworkState {
  /** IPv4 addresses (`10.213.0.1/16`) of each link that exists, by name. */
  links: Map<string, string[]>
  /** IPv4 routes: destination CIDR (never the default route) and the device it goes through. */
  routes: { dst: string; dev: string }[]
}

/** What a network asks of the host: a bridge, and with isGateway its subnets' gateways on that bridge. */
export interface BridgeUse {
  bridge: string
  subnets: string[]
  isGateway: boolean
}

/** The bridge plugin of a chain (its default bridge name is cni0), with host-local style subnets. */
export function bridgeUse(n: CniNetwork): BridgeUse | undefined {
  const p = n.plugins.find(x => x.type === 'bridge')
  if (!p) return undefined
  const ipam = (p.ipam ?? {}) as { subnet?: unknown; ranges?: unknown }
  const subnets: string[] = []
  if (typeof ipam.subnet === 'string') subnets.push(ipam.subnet)
  if (Array.isArray(ipam.ranges)) {
    for (const set of ipam.ranges) for (const r of Array.isArray(set) ? set : []) if (r && typeof r.subnet === 'string') subnets.push(r.subnet)
  }
  return { bridge: typeof p.bridge === 'string' ? p.bridge : 'cni0', subnets: subnets.filter(isIpv4Cidr), isGateway: p.isGateway === true }
}

const isIpv4Cidr = (s: string) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(s)

/** Whether `address` (`10.213.0.1/16` or `10.213.0.1`) lies in `subnet`. */
export function inSubnet(address: string, subnet: string): boolean {
  const [a] = parseCidr(`${address.split('/')[0]}/32`)
  const [n, len] = parseCidr(subnet)
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0
  return ((a & mask) >>> 0) === ((n & mask) >>> 0)
}

/**
 * Conflicts, by network name: a gateway bridge that already holds an address outside the network's subnets; a subnet
 * that overlaps a host route through another device; a bridge another network of the same config dir uses with
 * other subnets (the later file, in libcni's order, is the one reported).
 */
export function bridgeConflicts(networks: CniNetwork[], host: HostNetworkState): Map<string, string> {
  const out = new Map<string, string>()
  const claimed = new Map<string, { network: CniNetwork; use: BridgeUse }>()
  for (const n of networks) {
    const use = bridgeUse(n)
    if (!use) continue
    const other = claimed.get(use.bridge)
    // Without IPv4 subnets on both sides (DHCP, IPv6, a typo the plugin will name) there is nothing to compare.
    if (other && use.subnets.length && other.use.subnets.length && !sameSubnets(other.use.subnets, use.subnets)) {
      out.set(n.name, `bridge ${use.bridge} is also the bridge of network '${other.network.name}' (${other.network.file}) with subnet ${other.use.subnets.join(',')}, but this network wants ${use.subnets.join(',')}; give one of them another "bridge"`)
      continue
    }
    if (!other) claimed.set(use.bridge, { network: n, use })
    const addresses = host.links.get(use.bridge)
    if (use.isGateway && use.subnets.length && addresses?.length && !addresses.some(a => use.subnets.some(s => inSubnet(a, s)))) {
      out.set(n.name, `bridge ${use.bridge} already exists with ${addresses.join(', ')}, outside this network's subnet ${use.subnets.join(',')} (another cluster's network, or one configured before this config dir was recreated, made it), so every container would fail to join; remove the bridge if nothing uses it (ip link delete ${use.bridge}) or give this network another "bridge" and subnet`)
      continue
    }
    for (const s of use.subnets) {
      const route = host.routes.find(r => r.dev !== use.bridge && cidrsOverlap(r.dst, s))
      if (route) {
        out.set(n.name, `subnet ${s} overlaps the host route ${route.dst} on ${route.dev}: containers could not reach those addresses and the host would route their traffic astray; give this network another subnet`)
        break
      }
    }
  }
  return out
}

function sameSubnets(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every(s => b.includes(s))
}
