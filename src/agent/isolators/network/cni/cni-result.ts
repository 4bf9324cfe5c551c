// CNI results, every format a plugin may answer in: 0.3.x / 0.4.0 / 1.0.0 (`interfaces`, `ips[]` with an index
// into `interfaces`, `version` only before 1.0) and the old 0.1.0 / 0.2.0 form (`ip4` / `ip6` objects), plus the
// error object plugins print with a non-zero exit. Normalised into what meso reports (NetworkInfo) and what the
// container's /etc files need (addresses, DNS). Pure.

import type { NetworkInfo } from '../../../../core/v1/messages.ts'

export interface CniIp {
  version: 4 | 6
  /** Address without prefix length, as NetworkInfo.ip_address wants it. */
  address: string
  /** As the plugin gave it: `10.88.0.2/16`. */
  cidr: string
  gateway?: string
}

export interface CniDns { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] }

export interface CniResult {
  cniVersion: string
  /** Addresses of the container (ips on host-side interfaces, e.g. a bridge, are left out). */
  ips: CniIp[]
  dns: CniDns
}

export class CniResultError extends Error {}

export function parseCniResult(raw: unknown): CniResult {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CniResultError('the plugin result is not a JSON object')
  const r = raw as Record<string, unknown>
  const cniVersion = typeof r.cniVersion === 'string' ? r.cniVersion : '0.1.0'
  const ips: CniIp[] = []
  if (Array.isArray(r.ips)) {
    const interfaces = Array.isArray(r.interfaces) ? r.interfaces as { sandbox?: unknown }[] : []
    for (const [i, entry] of r.ips.entries()) {
      if (!entry || typeof entry !== 'object') throw new CniResultError(`ips[${i}] is not an object`)
      const e = entry as { address?: unknown; gateway?: unknown; interface?: unknown; version?: unknown }
      // Only addresses on the container side: an index into `interfaces` whose entry has a sandbox (or no index).
      if (typeof e.interface === 'number' && interfaces[e.interface] && !interfaces[e.interface]!.sandbox) continue
      ips.push(ipOf(e.address, e.gateway, `ips[${i}]`, e.version))
    }
  } else {
    // 0.1.0 / 0.2.0: one address per family.
    for (const family of ['ip4', 'ip6'] as const) {
      const entry = r[family]
      if (entry === undefined || entry === null) continue
      if (typeof entry !== 'object') throw new CniResultError(`${family} is not an object`)
      const e = entry as { ip?: unknown; gateway?: unknown }
      ips.push(ipOf(e.ip, e.gateway, family, family === 'ip4' ? '4' : '6'))
    }
  }
  return { cniVersion, ips, dns: dnsOf(r.dns) }
}

function ipOf(cidr: unknown, gateway: unknown, where: string, version?: unknown): CniIp {
  if (typeof cidr !== 'string' || !cidr.includes('/')) throw new CniResultError(`${where}: address ${JSON.stringify(cidr)} is not in CIDR form`)
  const address = cidr.slice(0, cidr.indexOf('/'))
  const family = address.includes(':') ? 6 : 4
  if (family === 4 && !isIPv4(address)) throw new CniResultError(`${where}: '${cidr}' is not an IPv4 address`)
  if (version !== undefined && String(version) !== String(family)) throw new CniResultError(`${where}: '${cidr}' is not IPv${version}`)
  const ip: CniIp = { version: family, address, cidr }
  if (typeof gateway === 'string' && gateway) ip.gateway = gateway
  return ip
}

function isIPv4(s: string): boolean {
  const parts = s.split('.')
  return parts.length === 4 && parts.every(p => /^\d{1,3}$/.test(p) && Number(p) <= 255)
}

function dnsOf(d: unknown): CniDns {
  if (!d || typeof d !== 'object') return {}
  const x = d as Record<string, unknown>
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && !!s) : undefined)
  const dns: CniDns = {}
  const nameservers = strings(x.nameservers)
  const search = strings(x.search)
  const options = strings(x.options)
  if (nameservers?.length) dns.nameservers = nameservers
  if (typeof x.domain === 'string' && x.domain) dns.domain = x.domain
  if (search?.length) dns.search = search
  if (options?.length) dns.options = options
  return dns
}

/** What TaskStatus.container_status.network_infos reports for one network (the request's name, labels, mappings). */
export function networkInfoFor(request: NetworkInfo, result: CniResult): NetworkInfo {
  const info: NetworkInfo = {
    name: request.name,
    ip_addresses: result.ips.map(ip => ({ protocol: ip.version === 6 ? 'IPv6' : 'IPv4', ip_address: ip.address })),
  }
  if (request.groups?.length) info.groups = request.groups
  if (request.labels?.labels?.length) info.labels = request.labels
  if (request.port_mappings?.length) info.port_mappings = request.port_mappings
  return info
}

/** The error a plugin prints on failure ({code, msg, details}), as one line; falls back to stderr or the exit code. */
export function pluginErrorMessage(stdout: string, stderr: string, exitCode: number): string {
  try {
    const e = JSON.parse(stdout) as { code?: unknown; msg?: unknown; details?: unknown }
    if (e && typeof e.msg === 'string' && e.msg) {
      const details = typeof e.details === 'string' && e.details ? `: ${e.details}` : ''
      return `${e.msg}${details}${e.code !== undefined ? ` (CNI error code ${e.code})` : ''}`
    }
  } catch { /* not JSON */ }
  const text = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' ')
  return text || `exited with status ${exitCode}`
}
