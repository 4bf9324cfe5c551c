// Where names outside the domain are forwarded: --dns_resolvers (`10.0.0.2,10.0.0.3:5353,[fd00::1]:53`), else the
// nameservers of /etc/resolv.conf minus meso's own DNS address (forwarding to itself would loop), as Mesos-DNS'
// GetLocalDNS does. Pure: the caller reads the file.

import { isIpv4, isIpv6 } from './records.ts'

export interface Upstream { ip: string; port: number }

export const upstreamText = (u: Upstream) => (u.ip.includes(':') ? `[${u.ip}]:${u.port}` : `${u.ip}:${u.port}`)

/**
 * Loopback, RFC 1918, shared (100.64/10), link-local and IPv6 ULA/link-local addresses: the askers a DNS on every
 * address forwards for, so that it is no open resolver to the world.
 */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.replace(/^::ffff:/, '')
  if (isIpv4(v4)) {
    const [a, b] = v4.split('.').map(Number) as [number, number]
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)
  }
  const l = ip.toLowerCase()
  return l === '::1' || /^f[cd][0-9a-f]{2}:/.test(l) || /^fe[89ab][0-9a-f]:/.test(l)
}

/** Parses --dns_resolvers; throws with the entry that is wrong. An empty value means: forward nothing. */
export function parseResolvers(text: string): Upstream[] {
  const out: Upstream[] = []
  for (const raw of text.split(',').map(s => s.trim()).filter(Boolean)) {
    let ip = raw, port = 53
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw)
    if (bracket) { ip = bracket[1]!; if (bracket[2]) port = Number(bracket[2]) }
    else if (raw.split(':').length === 2) { const [h, p] = raw.split(':'); ip = h!; port = Number(p) }
    if (!isIpv4(ip) && !isIpv6(ip)) throw new Error(`--dns_resolvers: '${raw}' is not an IP address (IP, IP:PORT or [IPv6]:PORT)`)
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--dns_resolvers: '${raw}' has a bad port (1-65535)`)
    out.push({ ip, port })
  }
  return out
}

/**
 * The `nameserver` lines of a resolv.conf, without the addresses meso's DNS itself answers on (when it is on port 53,
 * the only port resolv.conf can name): `self.ips` are its addresses (every interface's when it listens on 0.0.0.0,
 * which also covers all of 127/8: `wildcard`).
 */
export function resolversFromResolvConf(text: string, self: { ips: string[]; port: number; wildcard?: boolean }): Upstream[] {
  const out: Upstream[] = []
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line)
    if (!m) continue
    const ip = m[1]!.replace(/%.*$/, '')
    if (!isIpv4(ip) && !isIpv6(ip)) continue
    const isSelf = self.port === 53 && (self.ips.includes(ip) || (!!self.wildcard && (ip.startsWith('127.') || ip === '::1')))
    if (isSelf) continue
    out.push({ ip, port: 53 })
  }
  return out
}
