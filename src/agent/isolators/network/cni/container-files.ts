// The /etc/hosts, /etc/hostname and /etc/resolv.conf a container on a CNI network sees, as Mesos writes them: its
// hostname (ContainerInfo.hostname, else the container id) resolving to its own address, and DNS from the CNI result
// when a plugin gave any, else the host's resolv.conf. Pure: the launcher bind-mounts the files written from these.

import type { CniDns } from './cni-result.ts'

/** Longest hostname Linux accepts (HOST_NAME_MAX). */
export const HOST_NAME_MAX = 64

export function containerHostname(containerId: string, requested?: string): string {
  const h = requested || containerId
  if (h.length > HOST_NAME_MAX || !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(h)) {
    throw new Error(`hostname '${h}' is not a valid hostname (letters, digits, '-', '.'; at most ${HOST_NAME_MAX} characters)`)
  }
  return h
}

export function hostsFile(hostname: string, addresses: string[]): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback']
  const short = hostname.split('.')[0]!
  const names = short !== hostname ? `${hostname} ${short}` : hostname
  for (const a of addresses) lines.push(`${a} ${names}`)
  if (!addresses.length) lines.push(`127.0.1.1 ${names}`)
  return lines.join('\n') + '\n'
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`
}

/** DNS from the first network that returned any; otherwise the host's file, unchanged. */
export function resolvConfFile(dns: CniDns[], hostResolvConf: string): string {
  const d = dns.find(x => x.nameservers?.length || x.search?.length || x.domain)
  if (!d) return hostResolvConf
  const lines: string[] = []
  if (d.domain) lines.push(`domain ${d.domain}`)
  if (d.search?.length) lines.push(`search ${d.search.join(' ')}`)
  for (const ns of d.nameservers ?? []) lines.push(`nameserver ${ns}`)
  if (d.options?.length) lines.push(`options ${d.options.join(' ')}`)
  return lines.join('\n') + '\n'
}
