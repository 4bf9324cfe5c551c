// What `meso service endpoints APP` shows: where an app's instances can be reached. Per task, one endpoint per port
// and protocol: the agent's host and the host port on the host's network, the container address and the container
// port on a CNI network (and the host port too where a mapping publishes one); the app's DNS names as Mesos-DNS
// makes them (records.ts: `<task name>.<framework>.<domain>` and `_<task name>._<proto>.…` SRV); and the VIPs whose
// backends are the app's tasks, with their names. Pure: the API answers in, the view and its lines out.

import { domainFrag, type LabelSpec } from '../master/dns/labels.ts'
import { vipNames } from '../master/vips/vip-records.ts'
import type { VipBackend, VipEntry } from '../master/vips/vip-table.ts'
import type { AppInfo, AppTask } from '../client/services.ts'
import { taskHealth } from './service-table.ts'

export interface TaskEndpoint {
  /** The port's index in the app's portDefinitions or portMappings. */
  port_index: number
  name?: string
  protocol: string
  /** `host`, or the CNI network's name. */
  network: string
  /** `host:port` or `ip:port`. */
  address: string
}

export interface TaskEndpoints {
  id: string
  host?: string
  state?: string
  /** `healthy`, `unhealthy (…)`, or `-` without health results. */
  health: string
  ip_addresses: string[]
  endpoints: TaskEndpoint[]
}

export interface DnsName { name: string; type: 'A' | 'SRV' }

export interface AppVip {
  vip: string
  protocol: string
  /** A named VIP's name (with its leading `/`); absent for an address of the operator's choosing. */
  name?: string
  dns_names: string[]
  /** The backends that are this app's tasks. */
  backends: VipBackend[]
  /** Every backend of the VIP, this app's or not. */
  total_backends: number
}

export interface AppEndpoints {
  app: string
  /** `served`; `off` when the master runs without --dns; `unknown` when it did not say (or its framework's name). */
  dns: 'served' | 'off' | 'unknown'
  /** The names, when `dns` is `served`. */
  dns_names?: DnsName[]
  vips: AppVip[]
  tasks: TaskEndpoints[]
}

/** What the master says about its DNS and its services framework (GET /api/meso/v1/dns, /v2/info). */
export interface DiscoveryFacts {
  /** Undefined: the master did not say. */
  dns?: { enabled: boolean; domain?: string }
  /** The services framework's name and id (/v2/info marathon_config.framework_name, frameworkId). */
  framework?: { name: string; id?: string }
  spec: LabelSpec
}

interface PortSpec { name?: string; protocol?: string }

const protocols = (p: PortSpec) => (p.protocol ?? 'tcp').split(',').map(s => s.trim()).filter(Boolean)

function containerNetwork(app: AppInfo): string | undefined {
  const networks = Array.isArray(app.networks) ? app.networks as { mode?: string; name?: string }[] : []
  const n = networks[0]
  return n?.mode === 'container' ? n.name ?? 'container' : undefined
}

/** The endpoints of one task: by port, the address another host reaches it at. */
export function taskEndpoints(app: AppInfo, t: AppTask): TaskEndpoints {
  const ips = (t.ipAddresses ?? []).map(a => a.ipAddress).filter(Boolean)
  const out: TaskEndpoint[] = []
  const hostPorts = t.ports ?? []
  const network = containerNetwork(app)
  if (network) {
    const ip = ips.find(a => !a.includes(':')) ?? ips[0]
    let published = 0
    for (const [i, m] of (app.container?.portMappings ?? []).entries()) {
      const hostPort = m.hostPort !== undefined ? hostPorts[published++] : undefined
      for (const protocol of protocols(m as PortSpec)) {
        const base = { port_index: i, ...(m.name ? { name: m.name } : {}), protocol }
        if (ip && m.containerPort !== undefined) out.push({ ...base, network, address: `${ip.includes(':') ? `[${ip}]` : ip}:${m.containerPort}` })
        if (hostPort !== undefined && t.host) out.push({ ...base, network: 'host', address: `${t.host}:${hostPort}` })
      }
    }
  } else {
    const defs = (Array.isArray(app.portDefinitions) ? app.portDefinitions : []) as PortSpec[]
    hostPorts.forEach((port, i) => {
      const def = defs[i] ?? {}
      for (const protocol of protocols(def)) out.push({ port_index: i, ...(def.name ? { name: def.name } : {}), protocol, network: 'host', address: `${t.host ?? '?'}:${port}` })
    })
  }
  return { id: t.id, ...(t.host ? { host: t.host } : {}), ...(t.state ? { state: t.state } : {}), health: taskHealth(t), ip_addresses: ips, endpoints: out }
}

/** The task name meso's services give an app's tasks (path-id.ts safeAppId): `/shop/web` → `shop_web`. */
export const appTaskName = (id: string) => id.replace(/^\//, '').replace(/\//g, '_')

/**
 * The app's Mesos-DNS names: the A name of its tasks and the SRV names of its ports (by protocol, and by port name
 * where a port has one), through the label rules. None when a name has nothing left after them.
 */
export function appDnsNames(app: AppInfo, framework: string, domain: string, spec: LabelSpec): DnsName[] {
  const task = spec(appTaskName(app.id))
  const fw = domainFrag(framework, spec)
  if (!task || !fw) return []
  const tail = `${fw}.${domain}`
  const out: DnsName[] = [{ name: `${task}.${tail}`, type: 'A' }]
  const network = containerNetwork(app)
  const ports = (network ? app.container?.portMappings ?? [] : Array.isArray(app.portDefinitions) ? app.portDefinitions : []) as PortSpec[]
  const seen = new Set<string>()
  const srv = (name: string) => { if (!seen.has(name)) { seen.add(name); out.push({ name, type: 'SRV' }) } }
  for (const p of ports) for (const proto of protocols(p)) srv(`_${task}._${spec(proto)}.${tail}`)
  for (const p of ports) {
    const portName = p.name ? spec(p.name) : ''
    if (portName) for (const proto of protocols(p)) srv(`_${portName}._${task}._${spec(proto)}.${tail}`)
  }
  return out
}

/** The VIPs with a backend among `taskIds` (of the services framework when its id is known). */
export function appVips(vips: readonly VipEntry[], taskIds: ReadonlySet<string>, frameworkId: string | undefined, dns: DiscoveryFacts['dns'], spec: LabelSpec): AppVip[] {
  const ours = (b: VipBackend) => taskIds.has(b.task_id) && (!frameworkId || b.framework_id === frameworkId)
  return vips.filter(v => v.backends.some(ours)).map(v => ({
    vip: v.vip,
    protocol: v.protocol,
    ...(v.name !== undefined ? { name: `/${v.name}` } : {}),
    dns_names: v.name && v.framework && dns?.enabled ? vipNames(v.name, v.framework, dns.domain ?? 'mesos', spec) : [],
    backends: v.backends.filter(ours),
    total_backends: v.backends.length,
  }))
}

export function appEndpoints(app: AppInfo, tasks: readonly AppTask[], vips: readonly VipEntry[] | undefined, facts: DiscoveryFacts): AppEndpoints {
  const sorted = [...tasks].sort((a, b) => (a.id < b.id ? -1 : 1))
  const fw = facts.framework
  const dns = !facts.dns ? 'unknown' : !facts.dns.enabled ? 'off' : fw ? 'served' : 'unknown'
  return {
    app: app.id,
    dns,
    ...(dns === 'served' ? { dns_names: appDnsNames(app, fw!.name, facts.dns!.domain ?? 'mesos', facts.spec) } : {}),
    vips: vips ? appVips(vips, new Set(sorted.map(t => t.id)), fw?.id, facts.dns, facts.spec) : [],
    tasks: sorted.map(t => taskEndpoints(app, t)),
  }
}

export const ENDPOINT_HEADERS = ['TASK', 'STATE', 'HEALTH', 'PORT', 'PROTO', 'NETWORK', 'ENDPOINT']

/** One row per endpoint; a task without any (no ports, no address yet) gets one row that says so. */
export function endpointRows(view: AppEndpoints): string[][] {
  return view.tasks.flatMap(t => {
    const head = [t.id, t.state ?? '-', t.health]
    if (!t.endpoints.length) return [[...head, '-', '-', '-', t.ip_addresses.length ? t.ip_addresses.join(',') : '-']]
    return t.endpoints.map(e => [...head, e.name ? `${e.port_index} (${e.name})` : String(e.port_index), e.protocol, e.network, e.address])
  })
}

/** The key–value lines above the table: the app, its DNS names, its VIPs. */
export function endpointSummary(view: AppEndpoints): [string, string][] {
  const lines: [string, string][] = [['service', view.app]]
  if (view.dns === 'off') lines.push(['dns', 'none (the master serves no DNS: meso master --dns)'])
  else if (!view.dns_names) lines.push(['dns', 'unknown (the master did not say; see the warning)'])
  else if (!view.dns_names.length) lines.push(['dns', 'none (the names have nothing left after the DNS label rules)'])
  else lines.push(['dns', view.dns_names.map(d => (d.type === 'A' ? d.name : `${d.name} (SRV)`)).join(', ')])
  for (const v of view.vips) {
    const serving = v.backends.filter(b => b.serving).length
    const names = v.dns_names.length ? ` ${v.dns_names.join(', ')};` : ''
    const others = v.total_backends > v.backends.length ? ` (${v.total_backends - v.backends.length} of other tasks)` : ''
    lines.push(['vip', `${v.name ? `${v.name} ` : ''}${v.vip}/${v.protocol}:${names} ${serving} of ${v.backends.length} backends serving${others}`])
  }
  return lines
}
