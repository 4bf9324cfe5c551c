// The agent's L4 load balancer as an nftables ruleset: one table, `ip meso_l4lb`, replaced whole in one nft
// transaction whenever the master's VIP table changes (so the kernel never sees half a table). Each VIP with
// backends is one DNAT rule choosing a backend round-robin (`numgen inc`); the rule sits in the nat hooks of both
// prerouting (connections from containers and other hosts routed through this one) and output (connections from
// this host's own processes and host-network tasks). Connections to a VIP are masqueraded on the way out, so replies
// come back through this host's conntrack entry even when client and backend share a bridge or the backend is on
// another host. Conntrack keeps the backend of an established connection: a backend taken out of the table gets no
// new connections while its existing ones finish. Pure: the text and the address bookkeeping only.

import type { VipSpec } from '../../core/agent-protocol.ts'

export const NFT_TABLE = 'meso_l4lb'
/** The label of the VIP addresses on `lo`: how the agent tells its addresses from anyone else's. */
export const VIP_ADDRESS_LABEL = 'lo:mesovip'

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const isIpv4 = (s: string) => IPV4.test(s) && s.split('.').every(p => Number(p) <= 255)

export function splitHostPort(s: string): { ip: string; port: number } {
  const i = s.lastIndexOf(':')
  const ip = s.slice(0, i)
  const port = Number(s.slice(i + 1))
  if (i <= 0 || !isIpv4(ip) || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`'${s}' is not IPv4:PORT`)
  return { ip, port }
}

/** Checks a table from the master before any of it reaches nft (its text is built from these values). */
export function validateVips(vips: unknown): VipSpec[] {
  if (!Array.isArray(vips) || vips.length > 65536) throw new Error('VIPS: vips must be a list of at most 65536 entries')
  return vips.map((v, i) => {
    const e = v as Partial<VipSpec>
    if (typeof e?.vip !== 'string' || (e.protocol !== 'tcp' && e.protocol !== 'udp') || !Array.isArray(e.backends) || e.backends.length > 4096) {
      throw new Error(`VIPS: entry ${i} is not {vip, protocol: tcp|udp, backends (at most 4096)}`)
    }
    splitHostPort(e.vip)
    for (const b of e.backends) if (typeof b !== 'string') throw new Error(`VIPS: entry ${i} has a backend that is not a string`); else splitHostPort(b)
    return { vip: e.vip, protocol: e.protocol, backends: [...e.backends] }
  })
}

/** The addresses to hold on `lo` (so the host routes VIPs locally and its own connections reach the nat hooks). */
export function vipAddresses(vips: readonly VipSpec[]): string[] {
  return [...new Set(vips.map(v => splitHostPort(v.vip).ip))].sort()
}

/** Addresses to add and to remove to go from `current` to `desired`. */
export function addressChanges(current: readonly string[], desired: readonly string[]): { add: string[]; remove: string[] } {
  const have = new Set(current)
  const want = new Set(desired)
  return { add: desired.filter(a => !have.has(a)), remove: current.filter(a => !want.has(a)) }
}

/**
 * The nft script that makes the table exactly `vips` (an empty list removes it). `table …{}` first makes the delete
 * valid when the table is not there yet; all of it is one transaction.
 */
export function nftScript(vips: readonly VipSpec[]): string {
  const lines = [`table ip ${NFT_TABLE} {}`, `delete table ip ${NFT_TABLE}`]
  if (!vips.length) return lines.join('\n') + '\n'
  const addrs = vipAddresses(vips)
  lines.push(`table ip ${NFT_TABLE} {`)
  lines.push('  set vip_addrs {', '    type ipv4_addr', `    elements = { ${addrs.join(', ')} }`, '  }')
  lines.push('  chain vips {')
  for (const v of vips) {
    if (!v.backends.length) continue // the address alone: a connection is refused by the host, at once
    const { ip, port } = splitHostPort(v.vip)
    const backends = [...new Set(v.backends)].map(splitHostPort)
    const map = backends.map((b, i) => `${i} : ${b.ip} . ${b.port}`).join(', ')
    lines.push(`    ip daddr ${ip} ${v.protocol} dport ${port} dnat ip to numgen inc mod ${backends.length} map { ${map} }`)
  }
  lines.push('  }')
  lines.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;', '    jump vips', '  }')
  lines.push('  chain output {', '    type nat hook output priority -100; policy accept;', '    jump vips', '  }')
  lines.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;', '    ct original ip daddr @vip_addrs masquerade', '  }')
  lines.push('}')
  return lines.join('\n') + '\n'
}

/** `ip -4 -o addr show dev lo label lo:mesovip` → the addresses. */
export function parseLabelledAddresses(output: string): string[] {
  const out: string[] = []
  for (const m of output.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\/32\b/g)) out.push(m[1]!)
  return out.sort()
}
