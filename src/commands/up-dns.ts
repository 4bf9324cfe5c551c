// What `meso up` does about DNS (docs/discovery.md): the master serves it (--dns), on a free port when `--port 0`
// asks for free ports; as root with the `meso` CNI network it listens on every address on port 53 so that containers
// reach it at their bridge's gateway, and the network's config names it as their nameserver with the domain in the
// search path. resolv.conf cannot carry a port: on any other port containers keep the host's resolvers, said at start.

import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import type { MasterFlags } from '../master/flags.ts'
import type { MasterDns } from '../master/dns/service.ts'

/** Master flag defaults for `meso up`, before --master-flag (which wins). */
export function upDnsDefaults(port: number): Record<string, string> {
  return { dns: 'true', ...(port === 0 ? { dns_port: '0' } : {}) }
}

/** Whether `meso up` will attach containers to a CNI network (the checks upNetworkFlags makes). */
export async function cniNetworkLikely(launcher: string | undefined): Promise<boolean> {
  if (process.getuid?.() !== 0 || launcher === 'posix') return false
  const { linuxLauncherUnavailable } = await import('../agent/containerizer/linux-launcher.ts')
  const { findPluginsDir } = await import('../agent/isolators/network/cni/default-network.ts')
  return !linuxLauncherUnavailable({}) && !!findPluginsDir()
}

/** Listens on every address when containers will need it on port 53 (and nobody chose --dns_ip). */
export function withContainerDns(values: MasterFlags, explicit: Record<string, string>, cni: boolean): MasterFlags {
  if (!values.dns || values.dns_port !== 53 || !cni || explicit.dns_ip !== undefined) return values
  return { ...values, dns_ip: '0.0.0.0' }
}

/** Points the `meso` network's containers at the DNS when they can reach it; the lines `meso up` prints about it. */
export async function upDnsNotes(dns: MasterDns | undefined, cniConfigDir: string | undefined): Promise<string[]> {
  if (!dns) return []
  const info = dns.info()
  const lines = [`DNS for '${info.domain}' on ${info.ip}:${info.port} (UDP and TCP); try: meso dns lookup leader`]
  if (!cniConfigDir) return lines
  if (info.port !== 53 || info.ip !== '0.0.0.0') {
    lines.push(`containers on the CNI network keep the host's resolvers: the DNS is on ${info.ip}:${info.port}, and resolv.conf can only name port 53 (as root, leave --dns_port at 53 and --dns_ip unset)`)
    return lines
  }
  const { applyClusterDns } = await import('../agent/isolators/network/cni/cluster-dns.ts')
  const nameserver = applyClusterDns(cniConfigDir, { search: [info.domain] })
  lines.push(nameserver
    ? `containers on the 'meso' network resolve through ${nameserver}:53 (search ${info.domain}): curl http://web.marathon.${info.domain}:8080 works from a task`
    : `the 'meso' network's config was not written by meso up: add "dns": {"nameservers": ["<its gateway>"], "search": ["${info.domain}"]} to its bridge plugin for containers to use the DNS`)
  return lines
}

/**
 * Port 53 is often taken on a workstation (systemd-resolved, dnsmasq, a libvirt network): `meso up` then serves DNS
 * on a free port and says so, rather than failing to start. An operator's explicit --dns_port is left to fail loudly.
 */
export async function withFreeDnsPort(values: MasterFlags, explicit: Record<string, string>): Promise<{ values: MasterFlags; note?: string }> {
  if (!values.dns || values.dns_port !== 53 || explicit.dns_port !== undefined) return { values }
  const ip = values.dns_ip ?? values.ip
  if (await canBind(ip, 53)) return { values }
  return { values: { ...values, dns_port: 0 }, note: `port 53 on ${ip} is taken (another DNS server?): DNS is on a free port instead` }
}

async function canBind(ip: string, port: number): Promise<boolean> {
  const udp = await new Promise<boolean>(resolve => {
    const sock = createSocket(ip.includes(':') ? 'udp6' : 'udp4')
    sock.once('error', () => { sock.close(); resolve(false) })
    sock.bind(port, ip, () => sock.close(() => resolve(true)))
  })
  if (!udp) return false
  return new Promise<boolean>(resolve => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, ip, () => srv.close(() => resolve(true)))
  })
}
