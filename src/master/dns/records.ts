// Which records a running task, an agent and the masters get, as Mesos-DNS generates them
// (records/generator.go, records/chains.go, docs/docs/naming.md), plus meso's `<hostname>.agent.<domain>`:
//
//   <task>.<framework>.<domain>                          A: the task's IP (the first IP source that has one)
//   <task>-<id hash>-<agent tail>.<framework>.<domain>   A: the same (canonical, one per task)
//   <task>[-<hash>-<tail>].<framework>.slave.<domain>    A: the agent's IP
//   _<task>._tcp|_udp.<framework>[.slave].<domain>       SRV: the task's port resources, target <canonical>.slave
//   [_<port name>.]_<task>._<proto>.<framework>.<domain> SRV: DiscoveryInfo ports, target <canonical>
//   slave.<domain> / _slave._tcp.<domain>                every agent
//   <hostname>.agent.<domain>                            an agent (meso's own name)
//   leader.<domain>, master.<domain>, master0.<domain>, _leader._tcp|_udp.<domain>, ns1.<domain>
//
// `<task>` is DiscoveryInfo.name when given, else the task name, through the label rules (labels.ts). Pure.

import type { Resource, TaskStatus } from '../../core/v1/messages.ts'
import { agentIdTail, domainFrag, taskIdHash, type LabelSpec } from './labels.ts'
import type { DnsRecord } from './record-set.ts'

export const IP_SOURCES = ['netinfo', 'mesos', 'docker', 'host'] as const
export type IpSource = (typeof IP_SOURCES)[number]

export interface DnsNaming {
  /** Lower case, without dots at either end (`mesos`). */
  domain: string
  spec: LabelSpec
  /** Mesos-DNS IPSources: where a task's A record address comes from, first populated source wins. */
  ipSources: readonly IpSource[]
}

/** The parts of a task its records depend on. */
export interface TaskFacts {
  id: string
  name: string
  agentId: string
  frameworkName: string
  statuses: readonly TaskStatus[]
  resources: readonly Resource[]
  discovery?: DiscoveryInfo
}

export interface DiscoveryInfo {
  name?: string
  ports?: { ports?: { number?: number; name?: string; protocol?: string }[] }
}

export const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress'
export const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress'

export function isIpv4(s: string): boolean { return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every(p => Number(p) <= 255) }
export function isIpv6(s: string): boolean { return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) }
const addressType = (ip: string): 'A' | 'AAAA' | undefined => (isIpv4(ip) ? 'A' : isIpv6(ip) ? 'AAAA' : undefined)

/** state.go statusIPs: the addresses `pick` finds in the newest TASK_RUNNING status. */
function runningStatusIps(statuses: readonly TaskStatus[], pick: (s: TaskStatus) => string[]): string[] {
  let best: TaskStatus | undefined
  for (const s of statuses) if (s.state === 'TASK_RUNNING' && (!best || (s.timestamp ?? 0) > (best.timestamp ?? 0))) best = s
  return best ? pick(best) : []
}

const labelValues = (key: string) => (s: TaskStatus) => (s.labels?.labels ?? []).filter(l => l.key === key && l.value).map(l => l.value!)

/** state.go Task.IPs: the addresses of the first source that has any. */
export function taskIps(t: TaskFacts, agentIps: readonly string[], sources: readonly IpSource[]): string[] {
  for (const src of sources) {
    let raw: string[]
    switch (src) {
      case 'host': raw = [...agentIps]; break
      case 'netinfo': raw = runningStatusIps(t.statuses, s => (s.container_status?.network_infos ?? []).flatMap(n => (n.ip_addresses ?? []).map(a => a.ip_address ?? '')).filter(Boolean)); break
      case 'mesos': raw = runningStatusIps(t.statuses, labelValues(MESOS_IP_LABEL)); break
      case 'docker': raw = runningStatusIps(t.statuses, labelValues(DOCKER_IP_LABEL))
    }
    const ips = raw.filter(ip => addressType(ip))
    if (ips.length) return ips
  }
  return []
}

/** state.go Resources.Ports: every port of the task's `ports` ranges. */
export function taskPorts(resources: readonly Resource[]): number[] {
  const out: number[] = []
  for (const r of resources) {
    if (r.name !== 'ports') continue
    for (const range of r.ranges?.range ?? []) {
      // A range wider than a port space is a hostile or broken resource: the record count stays bounded.
      const end = Math.min(range.end, range.begin + 65535, 65535)
      for (let p = range.begin; p <= end; p++) out.push(p)
    }
  }
  return out
}

export function taskRecords(t: TaskFacts, agentIps: readonly string[], n: DnsNaming): DnsRecord[] {
  const out: DnsRecord[] = []
  const seen = new Set<string>()
  const add = (name: string, type: DnsRecord['type'], value: string) => {
    const key = `${name} ${type} ${value}`
    if (seen.has(key)) return
    seen.add(key)
    out.push({ name, type, value })
  }
  const fname = domainFrag(t.frameworkName, n.spec)
  const hasDiscovery = !!t.discovery?.name
  const taskName = n.spec(hasDiscovery ? t.discovery!.name! : t.name)
  // A task or framework whose name has nothing left after the label rules gets no records: `.marathon.mesos` is no name.
  if (!taskName || !fname) return out
  const tail = `.${n.domain}`
  const canonical = `${taskName}-${taskIdHash(t.id)}-${agentIdTail(t.agentId)}.${fname}`
  const arec = `${taskName}.${fname}`
  for (const ip of taskIps(t, agentIps, n.ipSources)) {
    const type = addressType(ip)!
    add(arec + tail, type, ip)
    add(canonical + tail, type, ip)
  }
  for (const ip of agentIps) {
    const type = addressType(ip)
    if (!type) continue
    add(`${arec}.slave${tail}`, type, ip)
    add(`${canonical}.slave${tail}`, type, ip)
  }
  // SRV from the port resources: under `.slave` always, and without it when the task has no DiscoveryInfo.
  const slaveTarget = `${canonical}.slave${tail}`
  const subdomains = hasDiscovery ? ['.slave'] : ['.slave', '']
  for (const port of taskPorts(t.resources)) {
    for (const proto of ['tcp', 'udp']) {
      for (const sub of subdomains) add(`_${taskName}._${proto}.${fname}${sub}${tail}`, 'SRV', `${slaveTarget}:${port}`)
    }
  }
  if (!hasDiscovery) return out
  for (const p of t.discovery!.ports?.ports ?? []) {
    if (typeof p.number !== 'number' || !(p.number >= 0 && p.number <= 65535)) continue
    const target = `${canonical}${tail}:${p.number}`
    const proto = n.spec(p.protocol ?? '')
    const names = proto ? [`_${taskName}._${proto}.${fname}${tail}`] : [`_${taskName}._tcp.${fname}${tail}`, `_${taskName}._udp.${fname}${tail}`]
    const portName = n.spec(p.name ?? '')
    for (const name of names) {
      add(name, 'SRV', target)
      if (portName) add(`_${portName}.${name}`, 'SRV', target)
    }
  }
  return out
}

export interface AgentFacts { hostname: string; ip: string; port: number }

/** slave.<domain> and _slave._tcp.<domain> (generator.go slaveRecords), and meso's <hostname>.agent.<domain>. */
export function agentRecords(a: AgentFacts, n: DnsNaming): DnsRecord[] {
  const type = addressType(a.ip)
  if (!type) return []
  const out: DnsRecord[] = [
    { name: `slave.${n.domain}`, type, value: a.ip },
    { name: `_slave._tcp.${n.domain}`, type: 'SRV', value: `slave.${n.domain}:${a.port}` },
  ]
  const host = domainFrag(a.hostname, n.spec)
  if (host) out.push({ name: `${host}.agent.${n.domain}`, type, value: a.ip })
  return out
}

export interface MasterFacts {
  leader: { ip: string; port: number }
  /** The DNS server's own address, for the SOA's `ns1.<domain>` (undefined: none is given). */
  nameserverIp?: string
}

/**
 * leader.<domain>, master.<domain>, master0.<domain>, _leader._tcp|_udp.<domain> (generator.go masterRecord with the
 * leader as the only known master, as with ZooKeeper detection), and ns1.<domain> (the SOA's primary name server).
 */
export function masterRecords(m: MasterFacts, n: DnsNaming): DnsRecord[] {
  const out: DnsRecord[] = []
  const type = addressType(m.leader.ip)
  if (type) {
    out.push({ name: `leader.${n.domain}`, type, value: m.leader.ip })
    out.push({ name: `master.${n.domain}`, type, value: m.leader.ip })
    out.push({ name: `master0.${n.domain}`, type, value: m.leader.ip })
    for (const proto of ['tcp', 'udp']) out.push({ name: `_leader._${proto}.${n.domain}`, type: 'SRV', value: `leader.${n.domain}:${m.leader.port}` })
  }
  const nsType = m.nameserverIp ? addressType(m.nameserverIp) : undefined
  if (nsType) out.push({ name: `ns1.${n.domain}`, type: nsType, value: m.nameserverIp! })
  return out
}
