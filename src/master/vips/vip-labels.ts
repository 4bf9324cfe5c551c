// VIPs as DC/OS declares them (dcos-l4lb, formerly Minuteman): a label `VIP_<n>` on a port of the task's
// DiscoveryInfo (`discovery.ports.ports[].labels.labels[]`). Its value is `/name:port` (a named VIP; the name may hold
// `/` for Marathon groups, and DC/OS also takes it without the leading `/`) or `IP:port` (an address of the
// operator's choosing). The port after the colon is the VIP's; the DiscoveryInfo port's `number` is where the task
// listens. Pure.

export type VipProtocol = 'tcp' | 'udp'

export type VipAddress =
  | { kind: 'named'; name: string; port: number }
  | { kind: 'ip'; ip: string; port: number }

/** One VIP a task serves behind: the VIP, its protocol and the task's own port for it. */
export interface TaskVip {
  /** The label key, e.g. VIP_0. */
  label: string
  address: VipAddress
  protocol: VipProtocol
  taskPort: number
}

/** DiscoveryInfo as far as VIPs need it (v1 JSON). */
export interface VipDiscoveryInfo {
  ports?: { ports?: { number?: number; protocol?: string; labels?: { labels?: { key?: string; value?: string }[] } }[] }
}

const VIP_KEY = /^VIP_\d+$/
const NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/
/** Every label of every port is looked at: bounded so a hostile task cannot make the master loop. */
const MAX_VIP_LABELS = 64

export function isIpv4(s: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(s) && s.split('.').every(p => Number(p) <= 255 && String(Number(p)) === p)
}

function parsePort(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined
  const n = Number(s)
  return n >= 1 && n <= 65535 ? n : undefined
}

/** A label value → the VIP it names, or why it names none. */
export function parseVipLabel(value: string): VipAddress | { error: string } {
  const v = value.trim()
  const colon = v.lastIndexOf(':')
  if (colon <= 0) return { error: `'${value}' is not /NAME:PORT or IP:PORT` }
  const host = v.slice(0, colon)
  const port = parsePort(v.slice(colon + 1))
  if (port === undefined) return { error: `'${value}': the port must be 1-65535` }
  if (isIpv4(host)) return { kind: 'ip', ip: host, port }
  if (host.includes(':')) return { error: `'${value}': IPv6 VIPs are not supported` }
  const name = host.replace(/^\/+/, '')
  if (!NAME.test(name) || name.includes('//') || name.endsWith('/')) {
    return { error: `'${value}': a VIP name is 1-128 letters, digits, '.', '_', '-' and '/' (between parts)` }
  }
  return { kind: 'named', name, port }
}

/** The VIPs a task declares, and the labels that declare none (each with why). */
export function taskVips(discovery: VipDiscoveryInfo | undefined): { vips: TaskVip[]; errors: string[] } {
  const vips: TaskVip[] = []
  const errors: string[] = []
  let seen = 0
  for (const p of discovery?.ports?.ports ?? []) {
    for (const l of p.labels?.labels ?? []) {
      if (!l.key || !VIP_KEY.test(l.key)) continue
      if (++seen > MAX_VIP_LABELS) { errors.push(`more than ${MAX_VIP_LABELS} VIP labels; the rest are ignored`); return { vips, errors } }
      const address = parseVipLabel(l.value ?? '')
      if ('error' in address) { errors.push(`${l.key}: ${address.error}`); continue }
      const protocol = (p.protocol ?? 'tcp').toLowerCase()
      if (protocol !== 'tcp' && protocol !== 'udp') { errors.push(`${l.key}: protocol '${p.protocol}' is not tcp or udp`); continue }
      const taskPort = typeof p.number === 'number' && Number.isInteger(p.number) && p.number >= 1 && p.number <= 65535 ? p.number : undefined
      if (taskPort === undefined) { errors.push(`${l.key}: its DiscoveryInfo port has no valid number`); continue }
      vips.push({ label: l.key, address, protocol, taskPort })
    }
  }
  return { vips, errors }
}

/** Whether a DiscoveryInfo has any VIP label (cheap: decides whether a task concerns the VIP table). */
export function hasVipLabels(discovery: VipDiscoveryInfo | undefined): boolean {
  return (discovery?.ports?.ports ?? []).some(p => (p.labels?.labels ?? []).some(l => !!l.key && VIP_KEY.test(l.key)))
}
