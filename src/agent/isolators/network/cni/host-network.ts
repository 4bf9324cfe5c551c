// The host's side of bridge networks, for bridge-conflicts.ts: IPv4 addresses per link and the main table's routes,
// from iproute2's JSON output (`ip -j`), in the agent's own network namespace.

import type { HostNetworkState } from './bridge-conflicts.ts'

interface IpAddr { ifname?: string; addr_info?: { family?: string; local?: string; prefixlen?: number }[] }
interface IpRoute { dst?: string; dev?: string }

/** Pure: `ip -j -4 addr` and `ip -j -4 route` output → the snapshot (the default route and unparsable lines left out). */
export function parseHostNetwork(addrJson: string, routeJson: string): HostNetworkState {
  const links = new Map<string, string[]>()
  for (const l of parseArray<IpAddr>(addrJson)) {
    if (!l.ifname) continue
    links.set(l.ifname, (l.addr_info ?? []).filter(a => a.family === 'inet' && a.local).map(a => `${a.local}/${a.prefixlen ?? 32}`))
  }
  const routes = parseArray<IpRoute>(routeJson)
    .filter(r => r.dst && r.dst !== 'default' && r.dev && /^\d/.test(r.dst))
    .map(r => ({ dst: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`, dev: r.dev! }))
  return { links, routes }
}

function parseArray<T>(text: string): T[] {
  try {
    const v = JSON.parse(text || '[]') as unknown
    return Array.isArray(v) ? (v as T[]) : []
  } catch {
    return []
  }
}

/** Undefined when iproute2 is missing or fails: then nothing can be checked, and nothing is reported as broken. */
export function readHostNetwork(): HostNetworkState | undefined {
  const run = (args: string[]) => {
    try {
      const r = Bun.spawnSync([Bun.which('ip') ?? '/usr/sbin/ip', '-j', '-4', ...args], { stdout: 'pipe', stderr: 'ignore' })
      return r.exitCode === 0 ? r.stdout.toString() : undefined
    } catch {
      return undefined
    }
  }
  const addr = run(['addr', 'show'])
  const route = run(['route', 'show'])
  return addr === undefined || route === undefined ? undefined : parseHostNetwork(addr, route)
}
